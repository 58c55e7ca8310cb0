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
# make reanalysis OVERWRITE=1 replaces an existing run folder of the same name (only one the
# runner marked as its own); without it an existing run is kept and the command stops.
OVERWRITE ?=
# Extra options for JupyterLab, e.g. make lab LAB_ARGS="--no-browser --port 8899".
LAB_ARGS ?=
# --allow-root only when make itself runs as root (JupyterLab refuses root without it).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)
# What make test runs; nbval executes copies of NOTEBOOKS in a temporary folder so that the
# notebooks' default output folder (../outputs/<study>/interactive) is created there, not here.
TESTS ?= tests
NOTEBOOKS ?= $(wildcard notebooks/*.ipynb)
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: reanalysis test lab venv clean-outputs strip benchmark benchmark-run benchmark-scale system-deps validate

venv: $(STAMP)

$(STAMP): pyproject.toml
	@echo "[venv 1/4] virtual environment in $(VENV) (Python: $(PYTHON))"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "[venv 2/4] upgrading pip"
	$(BIN)/python -m pip install --upgrade --progress-bar on pip
	@echo "[venv 3/4] installing the project and its pinned dependencies (a few minutes the first time)"
	$(BIN)/python -m pip install --progress-bar on -e '.[test]'
	@echo "[venv 4/4] registering the Jupyter kernel \"Python 3 (reanalysis)\""
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (reanalysis)" >/dev/null
	@touch $(STAMP)
	@echo "[venv] ready: $(VENV)"

# Debian packages the tests need (headless Chromium for the HTML pages' browser tests); the
# script says what it installs and why before apt-get runs, and does nothing when present.
system-deps:
	@bash scripts/install_system_deps.sh

reanalysis: $(STAMP)
	$(BIN)/reanalysis --study $(STUDY) --run $(RUN) --jobs $(JOBS)$(if $(OVERWRITE), --overwrite,)

test: $(STAMP) system-deps
	@set -o pipefail; tmp=$$(mktemp -d); mkdir -p "$$tmp/notebooks"; \
	if [ -n "$(strip $(NOTEBOOKS))" ]; then cp $(NOTEBOOKS) "$$tmp/notebooks/"; \
	  nbs="$$tmp/notebooks --nbval-lax --nbval-cell-timeout=600"; else nbs=""; fi; \
	$(BIN)/python -m pytest $(PYTEST_ARGS) -p no:cacheprovider --rootdir=. -c pyproject.toml \
	  --basetemp="$$tmp/pytest" $(TESTS) $$nbs; rc=$$?; rm -rf "$$tmp"; exit $$rc

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/ $(ALLOW_ROOT) $(LAB_ARGS)

# The planted-error benchmark: recall per error kind and false alarms per trap (not a timed test).
validate: $(STAMP)
	$(BIN)/python scripts/validate_checks.py

benchmark: $(STAMP)
	$(BIN)/python scripts/benchmark_cox.py

# A full run beside the import-only floor (same runner, same parallelism): times and ratio.
benchmark-run: $(STAMP)
	$(BIN)/python scripts/benchmark_run.py --study $(STUDY) --jobs $(JOBS)

# Large inputs (a 50,000-row ledger, a 1,000,000-row patient file): time and peak memory of the
# whole process tree, run by run (minutes; not a timed test).
benchmark-scale: $(STAMP)
	$(BIN)/python scripts/benchmark_scale.py --jobs $(JOBS)

# Remove outputs and execution counts from the committed notebooks.
strip: $(STAMP)
	$(BIN)/nbstripout --extra-keys "metadata.papermill cell.metadata.papermill" --drop-tagged-cells injected-parameters notebooks/*.ipynb

clean-outputs:
	rm -rf outputs/
