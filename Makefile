# Two commands set everything up on a fresh machine with Python 3.11+ and make:
#   make run   — create .venv, install, load the demo county into the SQLite default
#   make test  — create .venv, install, run the whole suite (then the storage tests again
#                with event state encrypted under a fresh key)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Apache ECharts for the workbench's charts, from the npm registry (served by the app, no CDN).
ECHARTS := interfaces/web/node_modules/echarts/dist/echarts.min.js
# The suite on every core, whole test files to a worker (see tests/conftest.py);
# `make test PARALLEL=` runs it in one process.
PARALLEL ?= -n auto --dist loadgroup
# Encryption changes only what the store holds (the mapper's cipher, state rows, the chain, the
# audit, log export/import): the store's tests, the CLI, the demo and a served county, again.
ENCRYPTED_TESTS := tests/integration tests/test_cli.py tests/test_demo.py tests/test_old_snapshots.py \
	tests/http/test_end_to_end.py tests/http/test_startup.py

.PHONY: run test lint bench soak clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(ECHARTS): interfaces/web/package.json interfaces/web/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix interfaces/web --no-audit --no-fund --loglevel=error && touch $(ECHARTS); \
	else echo "npm not found: the workbench runs without its charts"; fi

run: $(STAMP) $(ECHARTS)
	$(BIN)/fangpin demo --households $${FANGPIN_DEMO_HOUSEHOLDS:-300}
	$(BIN)/fangpin serve --host $${FANGPIN_HOST:-127.0.0.1} --port $${FANGPIN_PORT:-8000}

test: $(STAMP) $(ECHARTS)
	$(BIN)/ruff check .
	$(BIN)/pytest $(PARALLEL)
	FANGPIN_TEST_CIPHER_KEY=$$($(BIN)/fangpin log keygen --quiet) \
		$(BIN)/pytest $(PARALLEL) $(ENCRYPTED_TESTS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python -m bench

# Not part of `make test` or CI: the served API on PostgreSQL for SOAK_MINUTES (default 60) with
# 50 simulated users; writes docs/soak.md (SOAK_REPORT to write elsewhere). See bench/soak.py.
soak: $(STAMP)
	$(BIN)/python -m bench.soak

clean:
	rm -rf $(VENV) var .pytest_cache interfaces/web/node_modules
