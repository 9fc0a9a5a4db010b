# conform.mk - the conformance guest (guests/conform, docs/conformance.md):
# a small multiboot kernel that prints one "name value" line per check of
# an x86 mechanism, so a native run and a run under the monitor can be
# compared line by line (test/integration/test_conform.py).
#
#   make conform              build build/conform.elf
#   make run-conform          run it on bare QEMU (ARGS="section=seg" ...)
#   make run-conform-monitor  run it under the monitor (MONARGS=shadow=vtlb ...)
#   make test-conform         the comparison, natively and under the monitor (pytest)

CF       := guests/conform
CFB      := $(B)/conform
CF_C     := $(wildcard $(CF)/*.c)
CF_ASM   := $(wildcard $(CF)/*.asm)
CF_OBJ   := $(patsubst $(CF)/%.c,$(CFB)/%.o,$(CF_C)) \
            $(patsubst $(CF)/%.asm,$(CFB)/%.o,$(CF_ASM)) \
            $(CFB)/shared/fmt.o $(CFB)/shared/mem.o

.PHONY: conform run-conform run-conform-monitor test-conform
conform: $(CFB).elf

$(CFB)/%.o: $(CF)/%.c | $(DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(CF) -MMD -MP -c $< -o $@

$(CFB)/shared/%.o: src/lib/%.c | $(DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(CFB)/%.o: $(CF)/%.asm | $(DEPS)
	@mkdir -p $(dir $@)
	$(NASM) $(NASMFLAGS) $< -o $@

$(CFB).elf: $(CF_OBJ) $(CF)/conform.ld
	$(LD) -m elf_i386 -z noexecstack -T $(CF)/conform.ld -o $@ $(CF_OBJ) $(LIBGCC)
	objdump -d $@ > $(CFB).asm
	nm -n $@ > $(CFB).sym

run-conform: $(CFB).elf
	@bash scripts/qemu-run.sh $(TIMEOUT) $(QEMU) -serial stdio -kernel $(CFB).elf -append "$(ARGS)"

run-conform-monitor: $(CFB).elf $(MON).elf
	@bash scripts/qemu-run.sh $(TIMEOUT) $(MONQEMU) $(MONCON) \
	  -kernel $(MON).elf -initrd "$(CFB).elf $(ARGS)" -append "$(MONARGS)"

# The comparison (test/integration/test_conform.py): natively and under the
# monitor, both shadow strategies, QEMU and (marker "bochs", about 4
# minutes) Bochs; CONFORM_PYTEST='-m "not bochs"' leaves Bochs out.
CONFORM_PYTEST ?=
test-conform: $(CFB).elf $(MON).elf
	$(PYTHON) -m pytest test/integration/test_conform.py $(CONFORM_PYTEST)

# make test boots the guest too
test: $(CFB).elf
