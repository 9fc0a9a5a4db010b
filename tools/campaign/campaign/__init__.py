"""campaign - fault-injection campaigns against the monitor (issue 15).

One job each module:
  spec      the campaign file (TOML): workload, targets, triggers, size, seed
  elfinfo   the guest ELF's sections: where memory faults may land
  monlog    what the monitor's log says: exit table counters, fault lines
  runner    one QEMU boot of the monitor with one fault (runs on Dask workers too)
  space     the fault space from the golden run, and sampling it by seed
  classify  a run's outcome against the golden run
  store     jobs and results in SQLite
  pool      a local pool of QEMU processes, or a Dask cluster
  stats     sample sizes and confidence intervals
  report    the outcome table, the plot and the Markdown page
  cli       the command line: run, report, rerun, show
"""
