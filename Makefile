# OxCore co-design framework. Every target bootstraps .venv first (pinned, from PyPI).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JOBS   ?= auto

.PHONY: venv test test-fast docs bench clean help

help:
	@echo "make venv      create .venv with pinned tools (idempotent)"
	@echo "make test      run the test suite (pytest -n $(JOBS))"
	@echo "make docs      regenerate generated docs (docs/isa.md)"
	@echo "make bench     run benchmarks, print figures and write build/bench/*.json"

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -n $(JOBS) -q

docs: $(STAMP)
	$(PY) -m oxcore.docgen docs

bench: $(STAMP)
	$(PY) -m bench.run

clean:
	rm -rf build .pytest_cache
