# ledgerline: every target builds .venv from the pinned lock when it is missing or stale.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export RUNTIME__DLTHUB_TELEMETRY := false
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: demo test test-fast bench lint venv clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ledgerline needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --no-input -r requirements.lock
	$(BIN)/pip install --quiet --no-input --no-deps --no-build-isolation -e .
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/ledgerline demo

test: $(STAMP)
	@scripts/ensure-chromium.sh || echo "make test: the report's browser test will be skipped (no Chromium)"
	$(BIN)/python -m pytest -n 2 --dist loadfile

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not slow"

bench: $(STAMP)
	$(BIN)/python -m bench.sandbox_pages
	$(BIN)/python -m bench.sync_full --scale 100000 --skip-dlt
	$(BIN)/python -m bench.sync_full --scale 20000 --memory-scale 0
	$(BIN)/python -m bench.transform --invoices 1000000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) data .pytest_cache
