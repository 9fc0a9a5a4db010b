# mk/faults.mk - fault-injection campaigns (docs/fault-injection.md).
#
#   make faults        the default campaign (tools/campaign/campaigns/
#                      minios-kernel.toml: 1000 runs of minios tests=kernel),
#                      resumed if interrupted; prints the report, writes
#                      build/faults/<campaign>.sqlite, .png and .md
#   make faults CAMPAIGN=tools/campaign/campaigns/xv6-shell.toml
#                      xv6 running a script of shell commands (builds xv6)
#   make faults-report the report of the stored campaign again
#
# Variables: RUNS=N and SEED=N override the campaign's size and seed (another
# seed is another campaign: build/faults/<campaign>-seedN.sqlite);
# CAMPAIGN=FILE another campaign file; SCHEDULER=tcp://HOST:PORT runs the
# jobs on a Dask cluster; WORKERS=N local QEMUs at once (default: the cores).

CAMPAIGN  ?= tools/campaign/campaigns/minios-kernel.toml
CAMPAIGN_TOOL = PYTHONPATH=tools/campaign $(PYTHON) -m campaign
FAULTS_ARGS = $(if $(RUNS),--runs $(RUNS)) $(if $(SEED),--seed $(SEED)) \
              $(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(if $(WORKERS),--workers $(WORKERS))

# A campaign on xv6 (tools/campaign/campaigns/xv6-*.toml) needs xv6 built.
FAULTS_GUESTS = $(MB).elf $(MON).elf $(if $(findstring xv6,$(notdir $(CAMPAIGN))),xv6)

.PHONY: faults faults-report
faults: $(FAULTS_GUESTS) | $(DEPS)
	$(CAMPAIGN_TOOL) run $(CAMPAIGN) $(FAULTS_ARGS)

faults-report: | $(DEPS)
	$(CAMPAIGN_TOOL) report $(B)/faults/$(basename $(notdir $(CAMPAIGN)))$(if $(SEED),-seed$(SEED)).sqlite
