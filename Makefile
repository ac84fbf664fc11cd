# Two commands set everything up on a fresh machine with Python 3.11+ and make:
#   make run   — create .venv, install, load the demo county into the SQLite default
#   make test  — create .venv, install, run the whole suite (then the storage tests again
#                with event state encrypted under a fresh key)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-plain lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/fangpin demo --households $${FANGPIN_DEMO_HOUSEHOLDS:-300}
	$(BIN)/fangpin serve --host $${FANGPIN_HOST:-127.0.0.1} --port $${FANGPIN_PORT:-8000}

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest
	FANGPIN_TEST_CIPHER_KEY=$$($(BIN)/fangpin log keygen --quiet) \
		$(BIN)/pytest tests/integration tests/http tests/test_cli.py tests/test_demo.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache
