# Two commands a newcomer needs (see README.md):
#   make reanalysis   creates .venv if missing, runs every notebook on the bundled data into outputs/
#   make test         the test suite (unit tests, nbval on every notebook, papermill, browser)
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STUDY ?= cao2024
RUN ?= default
JOBS ?= 2

.PHONY: reanalysis test lab venv clean-outputs strip benchmark system-deps validate

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (reanalysis)" >/dev/null
	@touch $(STAMP)

# Debian packages the tests need (headless Chromium for the report's browser test).
system-deps:
	@bash scripts/install_system_deps.sh

reanalysis: $(STAMP)
	$(BIN)/reanalysis --study $(STUDY) --run $(RUN) --jobs $(JOBS) --overwrite

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -n 2 --dist loadfile tests --nbval-lax --nbval-cell-timeout=600 notebooks

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

# The planted-error benchmark: recall per error kind and false alarms per trap (not a timed test).
validate: $(STAMP)
	$(BIN)/python scripts/validate_checks.py

benchmark: $(STAMP)
	$(BIN)/python scripts/benchmark_cox.py

# Remove outputs and execution counts from the committed notebooks.
strip: $(STAMP)
	$(BIN)/nbstripout --extra-keys "metadata.papermill cell.metadata.papermill" --drop-tagged-cells injected-parameters notebooks/*.ipynb

clean-outputs:
	rm -rf outputs/
