# mk/lab-ring3.mk - the ring-compression lab (docs/lab-ring-compression.md):
# one target per exercise, each running minios under the monitor in ring 1
# and in ring 3 side by side (tools/lab_ring3.py).  SHADOW=vtlb for the
# other strategy.  Each takes under a minute but lab-ring3-bench (a few).

SHADOW ?= cached
LAB3 = $(PYTHON) tools/lab_ring3.py --shadow $(SHADOW)

.PHONY: lab-ring3 lab-ring3-holes lab-ring3-syscall lab-ring3-isolation lab-ring3-bench
lab-ring3: $(MB).elf $(MON).elf
	@$(LAB3) same
lab-ring3-holes: $(MB).elf $(MON).elf
	@$(LAB3) holes
lab-ring3-syscall: $(MB).elf $(MON).elf
	@$(LAB3) syscall
lab-ring3-isolation: $(MB).elf $(MON).elf
	@$(LAB3) isolation
lab-ring3-bench: $(MB).elf $(MON).elf
	@$(LAB3) bench
