# profile.mk - `make profile`: an exact instruction-level profile of the
# monitor's trap path, per trap kind (tools/profile/, docs/profile.md).
#
# The plugin is a host shared object that QEMU loads (-plugin); it is built
# with the host compiler, not the monitor's freestanding flags.
#
#   make profile                              the default benchmarks
#   make profile PROFILE_BENCH="cli-sti ctx-switch"   others (or "all")
#   make profile MONARGS=shadow=vtlb          monitor options
#   make profile PROFILE_ARGS="--lines 10"    more of profile.py's options

PROF_SO      := $(B)/tools/trapprof.so
PROFILE_BENCH ?= cli-sti port-read null-syscall cr3-switch pte-invlpg demand-zero
PROFILE_ARGS ?=

$(PROF_SO): tools/profile/trapprof.c tools/profile/qemu_plugin_api.h \
		$(M)/include/profmark.h | $(DEPS)
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O2 -g -std=gnu11 -Wall -Wextra -Werror -fvisibility=hidden \
		-Itools/profile -I$(M)/include -o $@ $<

.PHONY: profile
profile: $(MB).elf $(MON).elf $(PROF_SO)
	@$(PYTHON) tools/profile/profile.py --plugin $(PROF_SO) --kernel $(MB).elf \
		--monitor $(MON).elf --monargs "$(MONARGS)" --bench "$(PROFILE_BENCH)" $(PROFILE_ARGS)
