# The workbook's two commands: `make report` and `make test`. Both create .venv from the hashed lock first;
# re-running them reinstalls nothing unless requirements.lock or pyproject.toml changed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP    := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: report test lab lock env clean

report: $(STAMP)  ## run the whole workbook on seeds/ and write reports/ and data/
	$(BIN)/framing run $(ARGS)

test: $(STAMP)  ## run the whole test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lab: $(STAMP)  ## open JupyterLab on the notebooks with the project's kernel
	$(BIN)/jupyter lab --notebook-dir=notebooks

env: $(STAMP)  ## only create the environment

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --require-hashes --no-deps -r requirements.lock
	$(PIP) install --quiet --no-deps --no-build-isolation --editable .
	@touch $@

lock:  ## re-pin requirements.lock from requirements.in (needs uv: pip install uv)
	uv pip compile requirements.in --generate-hashes --python-version 3.11 --output-file requirements.lock

clean:  ## remove the environment and every generated file
	rm -rf $(VENV) .framing data/*.parquet reports/*.html reports/notebooks
