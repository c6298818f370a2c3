# Two commands on a fresh machine: `make reports` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv system reports test lint bench validate serve frontend clean

# Debian's Chromium prints PDFs and runs the browser tests and the dashboard benchmark. Installed
# with apt-get when missing and this runs as root; otherwise say how to install it.
system:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends chromium fonts-dejavu-core >/dev/null; \
	  else \
	    echo "Chromium is missing (PDFs, browser tests): sudo apt-get install chromium" >&2; \
	  fi; }

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (secondop)" >/dev/null
	touch $(STAMP)

venv: $(STAMP)

reports: $(STAMP)
	$(BIN)/secondop reports

test: $(STAMP) system
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# Every benchmark runs, each within its own time limit (benchmarks/harness.py) and a hard outer
# one; one that cannot measure says why, and make bench exits non-zero at the end.
bench: $(STAMP) system
	@failed=0; for b in benchmarks/bench_*.py; do [ -e "$$b" ] || continue; \
	  timeout --kill-after=30 1500 $(BIN)/python "$$b" || { echo "$$b: failed" >&2; failed=1; }; \
	done; exit $$failed

validate: $(STAMP)
	$(BIN)/secondop validate

serve: $(STAMP)
	$(BIN)/secondop serve

# The dashboard page's script is committed built (secondop_stats/apps/jupyter/voila/templates/
# secondop/static/); rebuild it with Node.js after changing frontend/. A test checks it is current.
frontend:
	cd frontend && npm ci --no-audit --no-fund && node build.mjs

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
