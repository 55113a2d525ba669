# Two commands on a fresh machine with only python3: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint bench sandbox clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m omninb.demo

test: $(STAMP) lint
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check omninb tests bench
	$(BIN)/ruff format --check omninb tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/prepare.py
	$(BIN)/python bench/sandbox.py
	$(BIN)/python bench/push.py

sandbox: $(STAMP)
	$(BIN)/omninb sandbox --port 8765 --catalog data/catalog.csv

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
