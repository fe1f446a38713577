# Two commands on a fresh machine: `make run` and `make test`. Both set up first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8501

.PHONY: setup run test test-fast lint format bench bench-small load

setup: $(STAMP)

# Rebuilt only when the lock or the project metadata changes, so a second
# `make setup` is a no-op.
$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

run: setup
	$(BIN)/sessionscope db upgrade
	$(BIN)/sessionscope seed --if-empty
	@echo "Sessionscope (demo mode, localhost only): http://localhost:$(PORT)"
	SESSIONSCOPE_DEMO=1 $(BIN)/streamlit run app.py \
		--server.address=127.0.0.1 --server.port=$(PORT) --server.headless=true

test: setup
	$(BIN)/pytest

# Everything but the real-browser tests.
test-fast: setup
	$(BIN)/pytest -m "not browser"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Speed and memory, as ratios measured in one run (bench/run.py). The first run seeds the
# data sets (10,000 and 1,000,000 sessions) into bench/data/; later runs reuse them.
bench: setup
	$(BIN)/python -m bench.run

# The small data set only, fewer runs, a short memory test: a quick look.
bench-small: setup
	$(BIN)/python -m bench.run --small-only --runs 3 --seconds 15

# Two servers on the small PostgreSQL set, 20 browser viewers for 60 s, then the same links
# compared on both servers (bench/load.py); fails on any error or difference.
load: setup
	$(BIN)/python -m bench.load --viewers 20 --seconds 60 --servers 2

# Regenerate the lock after editing dependencies in pyproject.toml.
lock:
	$(PYTHON) -m pip install --quiet uv==0.13.8
	$(PYTHON) -m uv pip compile pyproject.toml --extra dev --python-version 3.11 \
		--generate-hashes --quiet -o requirements.lock
