# difftest.mk - the differential instruction tester (docs/conformance.md,
# "The differential tester"): random instruction sequences from
# test/difftest/gen.py run in ring 0 and ring 3 by guests/difftest, natively
# and under the monitor, and every observation compared.
#
#   make difftest-guest       build build/difftest.elf
#   make difftest             a long run: N sequences (default 20000) from
#                             SEED (default 1), both shadow strategies, with
#                             progress; exit status 1 on a new mismatch
#   make difftest N=100000 SEED=7 SHADOWS=vtlb DIFFTEST_ARGS="--details 20"
#   make difftest DIFFTEST_ARGS="--ring 3"   the guest kernel in real ring 3
#   make difftest N=3000 DIFFTEST_ARGS=--bochs   on Bochs (GRUB ISOs, 300 a boot)
#   (N and SEED are read only here: mk/faults.mk's SEED means "the
#   campaign's own" when unset, so neither gets a global default)
#   make test-difftest        the fixed small batch (pytest), as make test runs it

DT       := guests/difftest
DTB      := $(B)/difftest
DT_C     := $(wildcard $(DT)/*.c)
DT_ASM   := $(wildcard $(DT)/*.asm)
# The console (COM1, the debug-exit port) is the conformance guest's.
DT_OBJ   := $(patsubst $(DT)/%.c,$(DTB)/%.o,$(DT_C)) \
            $(patsubst $(DT)/%.asm,$(DTB)/%.o,$(DT_ASM)) \
            $(DTB)/conform_console.o $(DTB)/shared/fmt.o $(DTB)/shared/mem.o

SHADOWS  ?= cached,vtlb
DIFFTEST_ARGS ?=

.PHONY: difftest-guest difftest test-difftest
difftest-guest: $(DTB).elf

$(DTB)/%.o: $(DT)/%.c | $(DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(DT) -I$(CF) -MMD -MP -c $< -o $@

$(DTB)/conform_console.o: $(CF)/console.c | $(DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(CF) -MMD -MP -c $< -o $@

$(DTB)/shared/%.o: src/lib/%.c | $(DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(DTB)/%.o: $(DT)/%.asm | $(DEPS)
	@mkdir -p $(dir $@)
	$(NASM) $(NASMFLAGS) $< -o $@

$(DTB).elf: $(DT_OBJ) $(DT)/difftest.ld
	$(LD) -m elf_i386 -z noexecstack -T $(DT)/difftest.ld -o $@ $(DT_OBJ) $(LIBGCC)
	objdump -d $@ > $(DTB).asm
	nm -n $@ > $(DTB).sym

difftest: $(DTB).elf $(MON).elf
	$(PYTHON) test/difftest/difftest.py --seed $(or $(SEED),1) --count $(or $(N),20000) \
	  --shadow $(SHADOWS) \
	  --progress $(DIFFTEST_ARGS)

test-difftest: $(DTB).elf $(MON).elf
	$(PYTHON) -m pytest test/integration/test_difftest.py

# make test runs test/integration/test_difftest.py: it needs the guest
test: $(DTB).elf
