# mk/xv6.mk - xv6 (x86), an external guest built from its unmodified source.
#
#   make xv6                       build/xv6/kernel and build/xv6/fs.img
#   make run-native GUEST=xv6      xv6 on bare QEMU, interactive
#   make run GUEST=xv6             xv6 under the monitor, interactive
#   ... CMDS="ls; echo hi"         scripted: type each command at the "$ "
#                                  prompt, end after the last one, the guest's
#                                  transcript on stdout (CMDS=";": boot only)
#   ... XV6_KEEP_DISK=PATH         keep the disk copy the run wrote at PATH
#   make test-usertests            usertests natively, under shadow=cached and
#                                  under shadow=vtlb: same transcript, the
#                                  wall times side by side (about 10 minutes)
#
# The source is the tarball in ../shared/xv6 (an unmodified git archive of
# mit-pdos/xv6-public); it is unpacked under build/xv6 and built there with
# xv6's own Makefile.  gcc 12 needs two warnings made non-fatal; CFLAGS given
# on the command line replaces xv6's whole CFLAGS, so it is repeated here in
# full (xv6's own flags, then the two additions).  No source file changes.
#
# Every run boots a copy of fs.img (scripts/console.py --disk), so runs
# repeat; the copy is IDE disk 1 (primary slave), where xv6 looks for its
# root file system.  xv6 needs 224 MB of RAM (PHYSTOP): natively QEMU gets
# -m 512; under the monitor the guest gets mem=256 (XV6_MONARGS).
# TIMEOUT bounds a scripted run; an interactive run has no limit unless
# TIMEOUT is given on the command line.

XV6_TARBALL ?= ../shared/xv6/xv6-public.tar.gz
XB          := $(B)/xv6
XV6_CFLAGS  := -fno-pic -static -fno-builtin -fno-strict-aliasing -O2 -Wall -MD -ggdb \
               -m32 -Werror -fno-omit-frame-pointer -fno-stack-protector -fno-pie -no-pie \
               -Wno-error=array-bounds -Wno-error=infinite-recursion
XV6_QEMU    := $(subst -m 128,-m 512,$(QEMU)) -smp 1 -monitor none -serial stdio
XV6_DRIVE   := -drive file={disk},index=1,media=disk,format=raw
XV6_MONARGS ?= mem=256 disk1=hd1 ifwatch=30
XV6_MONLOG  ?= $(B)/xv6-monitor.log
CMDS        ?=
XV6_KEEP_DISK ?=

XV6_TIMEOUT = $(if $(CMDS),--timeout $(TIMEOUT),$(if $(filter command line environment,$(origin TIMEOUT)),--timeout $(TIMEOUT)))
XV6_CONSOLE = $(PYTHON) scripts/console.py --disk $(XB)/fs.img $(XV6_TIMEOUT) \
              $(if $(CMDS),--cmds '$(CMDS)') $(if $(XV6_KEEP_DISK),--keep-disk $(XV6_KEEP_DISK))

.PHONY: xv6 run-xv6 run-native-xv6 test-usertests

xv6: $(XB)/kernel $(XB)/fs.img

# The build talks on stderr: stdout of a scripted run is the guest's
# transcript alone, even when the run has to build xv6 first.
$(XB)/.unpacked: $(XV6_TARBALL) | $(DEPS)
	@echo "xv6: unpacking $(XV6_TARBALL) into $(XB)" >&2
	@rm -rf $(XB) && mkdir -p $(XB)
	@tar xzf $(XV6_TARBALL) -C $(XB) --strip-components=1
	@touch $@

# xv6's Makefile builds both; MAKEFLAGS is emptied so that this make's
# command-line variables (GUEST, CMDS, ...) do not reach it.
$(XB)/kernel: $(XB)/.unpacked mk/xv6.mk
	@echo "xv6: make kernel fs.img in $(XB)" >&2
	@cd $(XB) && MAKEFLAGS= $(MAKE) --no-print-directory kernel fs.img \
	  CFLAGS="$(XV6_CFLAGS)" >&2
	@touch $(XB)/kernel $(XB)/fs.img        # newer than mk/xv6.mk even if xv6's make had nothing to do
$(XB)/fs.img: $(XB)/kernel

run-native-xv6: xv6
	@$(XV6_CONSOLE) -- $(XV6_QEMU) $(XV6_DRIVE) -kernel $(XB)/kernel

# The monitor boots xv6 as its guest module; the host disk copy is the
# monitor's IDE disk 1, which backs the guest's disk 1 (disk1=hd1); the
# monitor's log goes to $(XV6_MONLOG) and is shown after the run.  A
# scripted run ends by typing Ctrl-] (0x1d), which the monitor takes as
# "end the run" and answers with the exit table; interactively, type it
# (QEMU then exits with status 237, the monitor's 0x76 through
# isa-debug-exit: a normal end, and the log is shown after it too).
XV6_END_STATUS := 237
run-xv6: xv6 $(MON).elf
	@rm -f $(XV6_MONLOG)
	@$(XV6_CONSOLE) --log $(XV6_MONLOG) --end-byte 0x1d --end-status $(XV6_END_STATUS) \
	  -- $(XV6_QEMU) $(XV6_DRIVE) \
	  -debugcon file:$(XV6_MONLOG) -kernel $(MON).elf -initrd $(XB)/kernel \
	  -append "$(XV6_MONARGS) $(MONARGS)"

# usertests takes minutes under the monitor, so it is not in make test: its
# pytest module is marked long (make test runs -m "not long"), and this
# target runs it (-m long).  The times and exit tables end up in
# $(B)/xv6-usertests.txt as well.
test-usertests: xv6 $(MON).elf
	$(PYTHON) -m pytest -m long -v test/integration/test_xv6_usertests.py
