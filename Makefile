# Makefile - builds the monitor and minios, runs them under QEMU and Bochs,
# and runs every test.
#
#   make run        boot the monitor with minios deprivileged under it (QEMU);
#                   guest serial and the monitor's log on this terminal, the
#                   exit table when the guest ends
#   make run-native boot minios alone on the bare virtual machine
#                   (GUEST=xv6: the same for xv6, mk/xv6.mk; default minios)
#   make test       every test under pytest on both cores (mk/test.mk): the
#                   cmocka host unit tests, the QEMU and Bochs integration
#                   tests; ends "N passed, N failed", JUnit XML in
#                   build/test-results.xml (PYTEST_ARGS="-k NAME -x" selects)
#   make check-quick  the same without the Bochs cases: the fast loop
#   make bench      microbenchmarks under QEMU -icount: native, shadow=vtlb,
#                   shadow=cached, ratios, shadow counters (MONARGS= adds options)
#   make iso        GRUB rescue ISO (build/minios.iso) for Bochs / real BIOS;
#                   make monitor-iso: the same with the monitor
#   make debug      the monitor under QEMU, stopped for gdb (symbols of both)
#   make clean
#
# Variables: ARGS="..." minios command line (e.g. ARGS=tests, ARGS=holes),
# MONARGS="..." the monitor's (e.g. MONARGS=trace=traps), TIMEOUT=seconds a
# QEMU run may take (default 120).
#
# Missing tools are installed by scripts/install-deps.sh (apt-get) the first
# time any target needs them; the stamp build/.deps records that.

B        := build
MB       := $(B)/minios
M        := guests/minios
MON      := $(B)/monitor
DEPS     := $(B)/.deps

CC       := gcc
NASM     := nasm
LD       := ld
CFLAGS   := -m32 -std=gnu11 -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
            -fno-builtin -nostdlib -mno-sse -mno-mmx -mno-80387 -O2 -g \
            -fno-omit-frame-pointer -fno-tree-loop-distribute-patterns \
            -Wall -Wextra -Werror -Isrc
NASMFLAGS:= -f elf32 -g -F dwarf -Werror
LIBGCC    = $(shell $(CC) -m32 -print-libgcc-file-name)

# Debian's python3, whose python3-* packages (pytest, pexpect, dask...) the
# tests and tools use; a python3 earlier on PATH (pyenv) would not see them.
PYTHON   ?= /usr/bin/python3

TIMEOUT  ?= 120
ARGS     ?=
MONARGS  ?=
GUEST    ?= minios
QEMU_CPU ?= qemu32
QEMU     := qemu-system-i386 -m 128 -cpu $(QEMU_CPU) -display none -no-reboot \
            -device isa-debug-exit,iobase=0xf4,iosize=4

KSRC_C   := $(wildcard $(M)/kernel/*.c)
KSRC_ASM := $(wildcard $(M)/kernel/*.asm)
SHARED_C := $(wildcard src/lib/*.c)
LIB_C    := $(wildcard $(M)/lib/*.c)
KOBJ     := $(patsubst $(M)/%.c,$(MB)/%.o,$(KSRC_C) $(LIB_C)) \
            $(patsubst src/lib/%.c,$(MB)/shared/%.o,$(SHARED_C)) \
            $(patsubst $(M)/%.asm,$(MB)/%.o,$(KSRC_ASM)) $(MB)/userprogs.o

UPROGS   := utest ubench demo true42 churn
ULIB_OBJ := $(MB)/user/crt0.o $(MB)/user/ulib.o $(MB)/shared/fmt.o
UELF     := $(patsubst %,$(MB)/user/%.elf,$(UPROGS))

.PHONY: all run run-native run-minios run-native-minios debug bench iso monitor-iso test unit clean deps
.SECONDARY:
all: $(MB).elf $(MON).elf

deps: $(DEPS)
$(DEPS): scripts/install-deps.sh
	@mkdir -p $(B)
	@bash scripts/install-deps.sh
	@touch $@

$(MB)/%.o: $(M)/%.c | $(DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# src/lib: pure code shared by minios, the monitor and the host unit tests
$(MB)/shared/%.o: src/lib/%.c | $(DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(MB)/%.o: $(M)/%.asm | $(DEPS)
	@mkdir -p $(dir $@)
	$(NASM) $(NASMFLAGS) $< -o $@

# Built-in user programs are embedded in the kernel image; 'badelf' is a
# deliberately malformed image the tests expect exec to refuse.
$(MB)/userprogs.asm: $(UELF) Makefile
	@mkdir -p $(dir $@)
	@{ echo "section .rodata"; echo "global userprogs"; echo "align 4"; echo "userprogs:"; \
	  for p in $(UPROGS) badelf; do echo "  dd n_$$p, b_$$p, e_$$p"; done; \
	  echo "  dd 0, 0, 0"; \
	  for p in $(UPROGS) badelf; do echo "n_$$p: db \"$$p\", 0"; done; \
	  for p in $(UPROGS); do echo "align 4"; echo "b_$$p: incbin \"$(MB)/user/$$p.elf\""; \
	    echo "e_$$p:"; done; \
	  echo "align 4"; echo "b_badelf: db 0x7F, 'ELF', 2, 1, 1, 0"; echo "  times 60 db 0"; \
	  echo "e_badelf:"; } > $@

$(MB)/userprogs.o: $(MB)/userprogs.asm
	$(NASM) $(NASMFLAGS) $< -o $@

$(MB)/user/%.elf: $(MB)/user/%.o $(ULIB_OBJ) $(M)/user/user.ld
	$(LD) -m elf_i386 -z noexecstack -T $(M)/user/user.ld -o $@ $< $(ULIB_OBJ) $(LIBGCC)
	objdump -d $@ > $(@:.elf=.asm)
	nm -n $@ > $(@:.elf=.sym)

$(MB).elf: $(KOBJ) $(M)/kernel/kernel.ld
	$(LD) -m elf_i386 -z noexecstack -T $(M)/kernel/kernel.ld -o $@ $(KOBJ) $(LIBGCC)
	objdump -d -S $@ > $(MB).asm
	nm -n $@ > $(MB).sym

# ---- the monitor ----
MSRC_C   := $(filter-out src/monitor/asm_offsets.c, \
            $(wildcard src/monitor/*.c src/trap/*.c src/shadow_mmu/*.c src/virtdev/*.c \
                       src/fault/*.c))
MSRC_ASM := $(wildcard src/monitor/*.asm src/trap/*.asm)
MOBJ     := $(patsubst src/%.c,$(MON)/%.o,$(MSRC_C) $(SHARED_C)) \
            $(patsubst src/%.asm,$(MON)/%.o,$(MSRC_ASM))

$(MON)/%.o: src/%.c | $(DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@
# the monitor's memcpy/memset use string instructions (src/lib/mem.c)
$(MON)/lib/mem.o: CFLAGS += -DMEM_STRING_OPS

$(MON)/%.o: src/%.asm | $(DEPS)
	@mkdir -p $(dir $@)
	$(NASM) $(NASMFLAGS) -I$(MON)/ $< -o $@

# Layouts shared by C and the switcher's assembly, computed by the compiler
# (each "@@NAME value" in the generated assembly becomes a %define).
$(MON)/asm_offsets.inc: src/monitor/asm_offsets.c src/monitor/vcpu.h src/monitor/layout.h \
		src/trap/switcher.h src/trap/decode.h src/trap/reflect.h | $(DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -S $< -o $(MON)/asm_offsets.s
	$(PYTHON) -c 'import sys,re; [print("%%define %s 0x%x" % (m.group(1), int(m.group(2)) & 0xFFFFFFFF)) for m in re.finditer(r"@@(\w+) (-?\d+)", open(sys.argv[1]).read())]' $(MON)/asm_offsets.s > $@
$(MON)/trap/entry.o: $(MON)/asm_offsets.inc

$(MON).elf: $(MOBJ) src/monitor/monitor.ld
	$(LD) -m elf_i386 -z noexecstack -T src/monitor/monitor.ld -o $@ $(MOBJ) $(LIBGCC)
	objdump -d -S $@ > $(MON).asm
	nm -n $@ > $(MON).sym

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# The guest's COM1 and the monitor's log (port 0xE9) share the terminal.
MONCON   := -chardev stdio,id=con,mux=on -serial chardev:con \
            -device isa-debugcon,chardev=con,iobase=0xe9
MONQEMU  := $(subst -m 128,-m 256,$(QEMU))

# run and run-native dispatch on GUEST to run-GUEST / run-native-GUEST.
run: run-$(GUEST)
run-native: run-native-$(GUEST)

run-minios: $(MB).elf $(MON).elf
	@bash scripts/qemu-run.sh $(TIMEOUT) $(MONQEMU) $(MONCON) \
	  -kernel $(MON).elf -initrd "$(MB).elf $(ARGS)" -append "$(MONARGS)"

run-native-minios: $(MB).elf
	@bash scripts/qemu-run.sh $(TIMEOUT) $(QEMU) -serial stdio \
	  -kernel $(MB).elf -append "$(ARGS)"

debug: $(MB).elf $(MON).elf
	@echo "QEMU waits for gdb on :1234; in another terminal: gdb -x $(B)/monitor.gdb"
	@printf 'file %s\nadd-symbol-file %s\ntarget remote :1234\nbreak monitor_main\nbreak guest_trap\n' \
	  $(MON).elf $(MB).elf > $(B)/monitor.gdb
	$(MONQEMU) $(MONCON) -kernel $(MON).elf -initrd "$(MB).elf $(ARGS)" \
	  -append "$(MONARGS)" -s -S

bench: $(MB).elf $(MON).elf
	@$(PYTHON) test/integration/bench.py --kernel $(MB).elf --monitor $(MON).elf --monargs "$(MONARGS)"

# Always rebuilt: its command line (ARGS) is not a file make can track.
iso: $(MB).elf
	bash scripts/mkiso.sh $(B)/minios.iso "$(ARGS)"

monitor-iso: $(MB).elf $(MON).elf
	bash scripts/mkiso.sh --monitor "$(MONARGS)" $(B)/monitor.iso "$(ARGS)"

# Host unit tests: every pure module is linked into every test binary (the
# same sources the kernels build, compiled natively for the host).
PURE_C   := $(LIB_C) $(filter-out src/lib/mem.c,$(SHARED_C)) \
            src/monitor/options.c src/monitor/loader.c src/monitor/firmware.c src/monitor/vcpu.c \
            $(wildcard src/trap/decode*.c) src/trap/desc.c src/shadow_mmu/gwalk.c \
            $(wildcard src/virtdev/*.c) src/fault/spec.c src/fault/trigger.c src/fault/target.c
UNIT_TESTS := $(patsubst test/unit/%.c,$(B)/unit/%,$(wildcard test/unit/test_*.c))
$(B)/unit/%: test/unit/%.c $(PURE_C) | $(DEPS)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -g -Wall -Wextra -Werror -Isrc -I$(M) -o $@ $< $(PURE_C) -lcmocka

# The decoder's differential test compares its lengths with objdump's over
# generated byte sequences (fixed seed); the cases are a generated header.
$(B)/unit/decode_cases.h: test/unit/gen_decode_cases.py | $(DEPS)
	@mkdir -p $(dir $@)
	$(PYTHON) $< -o $@
$(B)/unit/test_decode: $(B)/unit/decode_cases.h
$(B)/unit/test_gwalk: test/unit/gwalk_ref.h
$(B)/unit/test_watch: src/trap/watch.c src/trap/watch.h

# emul.c, callgate.c and memop.c need the monitor's other modules: test_emul.c fakes them.
EMUL_C := src/trap/emul.c src/trap/callgate.c src/trap/memop.c
$(B)/unit/test_emul: test/unit/test_emul.c $(EMUL_C) $(PURE_C) | $(DEPS)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -g -Wall -Wextra -Werror -Isrc -I$(M) -o $@ $< $(EMUL_C) \
		$(PURE_C) -lcmocka

# The shadow MMU over a fake machine: test_shadow.c supplies memory.h's
# MON_HOST_TEST seam (host frames, p2m, guest RAM) and the log.
$(B)/unit/test_shadow: test/unit/test_shadow.c test/unit/gwalk_ref.h src/shadow_mmu/shadow.c \
		src/shadow_mmu/vtlb.c src/shadow_mmu/cached.c src/shadow_mmu/spte.c \
		src/shadow_mmu/gva.c $(PURE_C) | $(DEPS)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -g -Wall -Wextra -Werror -DMON_HOST_TEST -Isrc -I$(M) -o $@ $< \
		src/shadow_mmu/shadow.c src/shadow_mmu/vtlb.c src/shadow_mmu/cached.c \
		src/shadow_mmu/spte.c src/shadow_mmu/gva.c $(PURE_C) -lcmocka

$(B)/unit/test_debugreg: test/unit/test_debugreg.c src/monitor/debugreg.c | $(DEPS)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -g -Wall -Wextra -Werror -DMON_HOST_TEST -Isrc -I$(M) -o $@ $< \
		src/monitor/debugreg.c -lcmocka

# vdesc.c with fakes for guest memory and the watch (MON_HOST_TEST: no lldt).
$(B)/unit/test_vdesc: test/unit/test_vdesc.c src/trap/vdesc.c $(PURE_C) | $(DEPS)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -g -Wall -Wextra -Werror -DMON_HOST_TEST -Isrc -I$(M) -o $@ $< \
		$(PURE_C) -lcmocka

unit: $(UNIT_TESTS)

clean:
	rm -rf $(B)

# Each further part of the project (another guest, a tool, a test group)
# keeps its rules in its own file under mk/, so the parts stay apart.
include $(sort $(wildcard mk/*.mk))
