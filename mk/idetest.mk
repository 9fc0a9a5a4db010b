# mk/idetest.mk - idetest, a tiny multiboot guest that drives IDE disk 1 by
# PIO (guests/idetest/idetest.c): the monitor's disk path end to end
# (virtual IDE model, then the monitor's host disk driver) before xv6 runs.
# test/integration/test_hostdisk.py boots it natively and under the monitor.

IDT_SRC := guests/idetest
IDT_B   := $(B)/idetest

.PHONY: idetest
idetest: $(B)/idetest.elf

$(IDT_B)/entry.o: $(IDT_SRC)/entry.asm | $(DEPS)
	@mkdir -p $(dir $@)
	$(NASM) $(NASMFLAGS) $< -o $@

$(IDT_B)/idetest.o: $(IDT_SRC)/idetest.c | $(DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/idetest.elf: $(IDT_B)/entry.o $(IDT_B)/idetest.o $(IDT_SRC)/idetest.ld
	$(LD) -m elf_i386 -z noexecstack -T $(IDT_SRC)/idetest.ld -o $@ $(IDT_B)/entry.o $(IDT_B)/idetest.o $(LIBGCC)
