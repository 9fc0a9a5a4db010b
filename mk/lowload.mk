# mk/lowload.mk - lowload, a multiboot guest linked at 0x8000
# (guests/lowload): the loader places the multiboot info clear of a kernel
# that lives where the info block used to go.  test/integration/test_lowload.py
# boots it natively and under the monitor.

LOW_SRC := guests/lowload
LOW_B   := $(B)/lowload

.PHONY: lowload
lowload: $(B)/lowload.elf

$(LOW_B)/entry.o: $(LOW_SRC)/entry.asm | $(DEPS)
	@mkdir -p $(dir $@)
	$(NASM) $(NASMFLAGS) $< -o $@

$(LOW_B)/lowload.o: $(LOW_SRC)/lowload.c | $(DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/lowload.elf: $(LOW_B)/entry.o $(LOW_B)/lowload.o $(LOW_SRC)/lowload.ld
	$(LD) -m elf_i386 -z noexecstack -T $(LOW_SRC)/lowload.ld -o $@ $(LOW_B)/entry.o $(LOW_B)/lowload.o $(LIBGCC)
