# Two commands on a fresh machine: `make reports` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv reports test lint bench validate serve clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (secondop)" >/dev/null
	touch $(STAMP)

venv: $(STAMP)

reports: $(STAMP)
	$(BIN)/secondop reports

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do [ -e "$$b" ] || continue; $(BIN)/python "$$b" || exit 1; done

validate: $(STAMP)
	$(BIN)/secondop validate

serve: $(STAMP)
	$(BIN)/secondop serve

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
