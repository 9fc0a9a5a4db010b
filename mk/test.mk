# mk/test.mk - the test suite: pytest over test/ (test/conftest.py is the
# harness, pytest.ini its settings).  One pytest test per cmocka unit test
# and per integration case, run on every core (pytest-xdist), each under a
# timeout (pytest-timeout); a failing test shows the guest's transcript and
# the monitor's log.  The last line is "N passed, N failed".
#
#   make test          everything, Bochs included, but the long cases (marker
#                      long: make test-usertests); nothing may be skipped;
#                      JUnit XML in build/test-results.xml
#   make check-quick   everything but the Bochs cases (-m "not bochs")
#
# PYTEST_ARGS="..." goes to pytest: -k NAME (select), -x (stop at the first
# failure), -v (a line per test), --durations=10 (the slowest).

# --dist loadgroup: the tests that read one boot (marked xdist_group) go to
# one worker together, which boots it once; every other test is handed out
# alone, to whichever worker is free.
PYTEST      := $(PYTHON) -m pytest
PYTEST_ARGS ?=
TEST_XML    := $(B)/test-results.xml

.PHONY: check-quick
test: $(MB).elf $(MON).elf $(UNIT_TESTS)
	$(PYTEST) -n auto --dist loadgroup --no-build --no-skips -m "not long" --junitxml=$(TEST_XML) $(PYTEST_ARGS)

check-quick: $(MB).elf $(MON).elf $(UNIT_TESTS)
	$(PYTEST) -n auto --dist loadgroup --no-build -m "not bochs and not long" $(PYTEST_ARGS)
