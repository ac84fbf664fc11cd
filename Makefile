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
	$(BIN)/pytest
	FANGPIN_TEST_CIPHER_KEY=$$($(BIN)/fangpin log keygen --quiet) \
		$(BIN)/pytest tests/integration tests/http tests/test_cli.py tests/test_demo.py

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
