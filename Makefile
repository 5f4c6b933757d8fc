# The two commands of the README:
#   make reproduce   set up (once) and run the whole workflow on the embedded preset
#   make test        set up (once) and run the test suite (what .ci/run calls)
# Set-up is skipped while requirements.lock and pyproject.toml are unchanged.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.rsrepro-installed

.PHONY: setup reproduce test lint lock data-push data-pull

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

reproduce: $(STAMP)
	$(BIN)/snakemake --cores all

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/snakemake --lint

# Re-pin after changing dependencies in pyproject.toml (commit the result).
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	{ echo "# Exact versions of a reproduction (Python 3.11, Linux x86_64). Regenerate: make lock"; \
	  $(BIN)/python -m pip freeze --exclude-editable; } > requirements.lock

# Share fetched data, prepared datasets and weights through DVC (remote: .dvc/config; see README).
DVC_TRACKED := data/raw data/pretrained $(filter-out %.dvc %.gitignore %/synthetic,$(wildcard results/prepared/*))
data-push: $(STAMP)
	$(BIN)/dvc add $(wildcard $(DVC_TRACKED))
	git add $(addsuffix .dvc,$(wildcard $(DVC_TRACKED))) data/.gitignore results/prepared/.gitignore
	$(BIN)/dvc push

data-pull: $(STAMP)
	$(BIN)/dvc pull
