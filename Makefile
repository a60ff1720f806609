# recnb: `make reports` (data + every notebook -> reports/$(PROFILE)/) and `make test`.
# Both create .venv on first use (python3 -m venv; pip install -e '.[dev]').
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PROFILE ?= full
EDITION ?= teacher
# notebooks run at once (empty: the runner's default, 2 on a machine with two or more cores)
JOBS ?=
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
# The read-only datasets beside the checkout (../shared/data) join the search path when present.
SHARED := $(wildcard ../shared/data)
export RECNB_DATA_PATH := $(RECNB_DATA_PATH)$(if $(SHARED),$(if $(RECNB_DATA_PATH),:,)$(abspath $(SHARED)),)

.PHONY: venv data reports benchmark check-offline test fuzz lab clean-reports help
help:
	@echo "make reports [PROFILE=smoke|quick|full] [EDITION=teacher|student] [JOBS=n]"
	@echo "                                          data + all notebooks -> reports/PROFILE[-student]/index.html"
	@echo "make benchmark [DEVICE=cuda]              notebook 12 on every user of the S3-Rec Amazon files -> reports/benchmark/"
	@echo "make check-offline [PROFILE=...]          open reports/PROFILE in headless Chromium, network cut"
	@echo "make test                                 the test suite (as CI runs it)"
	@echo "make fuzz [FUZZ_SCALE=n]                  the long property-based sweep of generated and malformed logs"
	@echo "make data                                 fetch ML-100K and list the other datasets"
	@echo "make lab                                  JupyterLab on notebooks/"

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed

data: venv
	$(PY) -m recnb data fetch ml-100k
	$(PY) -m recnb data list

reports: data
	$(PY) -m recnb report --profile $(PROFILE) --edition $(EDITION) $(if $(JOBS),--jobs $(JOBS),)
	@echo "open reports/$(PROFILE)$(if $(filter student,$(EDITION)),-student,)/index.html"

# Notebook 12 alone, every user of the S3-Rec Amazon files (its own profile; outside `make reports`).
DEVICE ?=
benchmark: data
	$(PY) -m recnb report --profile benchmark $(if $(DEVICE),--device $(DEVICE),) $(if $(JOBS),--jobs $(JOBS),)
	@echo "open reports/benchmark/index.html"

# Every page of reports/$(PROFILE) from file:// with no network: requests, images, equations (needs chromium).
check-offline: venv
	$(PY) tools/offline_check.py reports/$(PROFILE)

# Test processes at once (pytest-xdist; 1 runs them in this process). Each worker's torch uses one thread.
TEST_JOBS ?= 2
test: venv
	$(PY) -m pytest $(if $(filter-out 1,$(TEST_JOBS)),-n $(TEST_JOBS) --dist worksteal,)

# The long Hypothesis sweep of tests/fuzz (random seeds, many examples; FUZZ_SCALE multiplies their number).
FUZZ_SCALE ?= 1
fuzz: venv
	RECNB_FUZZ=1 RECNB_FUZZ_SCALE=$(FUZZ_SCALE) $(PY) -m pytest tests/fuzz tests/notebooks/test_crash_logs.py -p no:cacheprovider --hypothesis-show-statistics

lab: venv
	$(VENV)/bin/jupyter lab notebooks

clean-reports:
	rm -rf reports/smoke reports/quick reports/full
