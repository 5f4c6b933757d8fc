# The two commands of the README:
#   make reproduce   set up (once) and run the whole workflow on the embedded preset
#   make test        set up (once) and run the test suite (what .ci/run calls)
# Set-up is skipped while requirements.lock and pyproject.toml are unchanged.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.rsrepro-installed
# Every recipe runs as in an activated venv: DVC's stage command and the tests call `snakemake` by name.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup reproduce rehearsal test chromium lint lock data-push data-pull results-push results-pull

setup: $(STAMP)

# A Python that rsrepro does not support stops here, with what to install (src/rsrepro/python_check.py).
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || { $(PYTHON) src/rsrepro/python_check.py && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python src/rsrepro/python_check.py
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

reproduce: $(STAMP)
	$(BIN)/snakemake --cores all

# The paper preset end to end on stand-in data and random-init weights (results/rehearsal/): each stage's
# wall time and peak memory, and the full run's projected time and disk. On a GPU node, run it first.
rehearsal: $(STAMP)
	$(BIN)/rsrepro rehearsal --workdir results/rehearsal

test: $(STAMP) chromium
	$(BIN)/python -m pytest

# The report tests render the HTML in headless Chromium (Debian package; needs root, else those tests skip).
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "chromium not installed (not root): the Chromium report tests will skip"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/snakemake --lint

# Re-pin after changing dependencies in pyproject.toml (commit the result).
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	{ echo "# Exact versions of a reproduction (Python 3.11, Linux x86_64). Regenerate: make lock"; \
	  $(BIN)/python -m pip freeze --exclude-editable; } > requirements.lock

# Share fetched data, prepared datasets and weights through DVC (remote: .dvc/config; see docs/dvc.md).
DVC_TRACKED := data/raw data/pretrained $(filter-out %.dvc %.gitignore %/synthetic,$(wildcard results/prepared/*))
data-push: $(STAMP)
	$(BIN)/dvc add $(wildcard $(DVC_TRACKED))
	git add $(addsuffix .dvc,$(wildcard $(DVC_TRACKED))) data/.gitignore results/prepared/.gitignore
	$(BIN)/dvc push

data-pull: $(STAMP)
	$(BIN)/dvc pull

# Share trained results (models, runs, metrics; the outputs of dvc.yaml's stage) after `dvc repro` or
# `dvc exp apply`. `make results-push` pushes to the default remote (or REMOTE=<dvc remote name>); a web
# server that exposes that folder makes it a read-only remote for anyone (docs/dvc.md).
# `make results-pull REMOTE=<url>` reads a published remote (https://..., or any DVC remote URL), marks the
# restored part of the DAG up to date (rule `restored`: a pull gives files new modification times), and
# renders the reports: no training. Without REMOTE it pulls from the default remote.
results-push: $(STAMP)
	$(BIN)/dvc push $(if $(REMOTE),-r $(REMOTE))

results-pull: $(STAMP)
	$(if $(REMOTE),$(BIN)/dvc remote add --local --force published $(REMOTE))
	$(BIN)/dvc pull $(if $(REMOTE),-r published)
	$(BIN)/snakemake --touch --cores 1 restored
	$(BIN)/snakemake --cores all
