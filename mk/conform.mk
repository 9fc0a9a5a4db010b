
# The comparison (test/integration/test_conform.py): natively and under the
# monitor, both shadow strategies; CONFORM_PYTEST="-m 'not bochs'" leaves
# out the Bochs runs (about 4 minutes).
CONFORM_PYTEST ?=
.PHONY: test-conform
test-conform: $(CFB).elf $(MON).elf
	$(PYTHON) -m pytest test/integration/test_conform.py $(CONFORM_PYTEST)

# make test needs the guest built too
test: $(CFB).elf
