# The workbook's two commands: `make report` and `make test`. Both create .venv from the hashed lock first;
# re-running them reinstalls nothing unless requirements.lock or pyproject.toml changed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP    := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: report test lab lock env clean notebook-filter

report: $(STAMP) notebook-filter  ## run the whole workbook on seeds/ and write reports/ and data/
	$(BIN)/framing run $(ARGS)

test: $(STAMP) notebook-filter  ## run the whole test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lab: $(STAMP) notebook-filter  ## open JupyterLab on the notebooks with the project's kernel
	$(BIN)/jupyter lab --notebook-dir=notebooks

env: $(STAMP) notebook-filter  ## only create the environment (and the notebook filter)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --require-hashes --no-deps -r requirements.lock
	$(PIP) install --quiet --no-deps --no-build-isolation --editable .
	@touch $@

# Notebooks are committed without outputs: .gitattributes sends every *.ipynb through nbstripout when git stages or
# compares it, so notebooks run and saved in JupyterLab leave `git status` clean and never reach a commit with
# outputs. Git runs the filter from the top of the working tree, so the relative path finds this checkout's own
# .venv. Setting it again changes nothing; outside a git checkout this does nothing.
NBSTRIPOUT := $(BIN)/python -m nbstripout --extra-keys "metadata.language_info.codemirror_mode \
  metadata.language_info.file_extension metadata.language_info.mimetype metadata.language_info.nbconvert_exporter \
  metadata.language_info.pygments_lexer metadata.language_info.version cell.metadata.trusted \
  cell.metadata.jp-MarkdownHeadingCollapsed cell.metadata.editable cell.metadata.deletable"

# The first time, git's index is refreshed too: in a fresh clone every notebook is newer than git's record of it,
# so the first `git status` would run the filter over each (15 s), and it would be the first run's provenance check.
notebook-filter:  ## strip notebook outputs at commit time (git filter, set up by env, lab, report and test)
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1 && \
	    [ "$$(git config --get filter.nbstripout.clean)" != '$(NBSTRIPOUT)' ]; then \
	  git config filter.nbstripout.clean '$(NBSTRIPOUT)' && \
	  git config filter.nbstripout.smudge cat && \
	  git config diff.ipynb.textconv '$(NBSTRIPOUT) -t' && \
	  echo "notebook filter set; git checks the notebooks through it once" && \
	  { git update-index -q --refresh >/dev/null 2>&1 || true; }; \
	fi

lock:  ## re-pin requirements.lock from requirements.in (needs uv: pip install uv)
	uv pip compile requirements.in --generate-hashes --python-version 3.11 --output-file requirements.lock

clean:  ## remove the environment and every generated file
	rm -rf $(VENV) .framing data/*.parquet reports/*.html reports/notebooks
