# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(PY):
	@python3 -c "import sys; sys.exit(sys.version_info < (3, 12))" || { \
	  echo "Python 3.12 or newer is needed; 'python3' here is $$(python3 --version 2>&1)."; \
	  echo "Fix: install Python 3.12 (pyenv install 3.12, or your OS package python3.12) so that python3 in this folder resolves to it (.python-version says 3.12)."; \
	  exit 1; }
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) requirements.txt requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@$(PY) -c "import django, sys; sys.exit(django.VERSION < (6, 0))" || { echo "Django 6 was not installed: is .venv built from Python 3.12+? Remove .venv and retry."; exit 1; }
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install every dependency

db: install ## Migrate and load the content (idempotent)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_content

run: db ## Serve the app on http://127.0.0.1:$(PORT) (development mode, demo accounts)
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: install ## Run every test, browser tests included
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install ## wrk table, cold learner pages, bank import/export, FSRS fit, class dashboard, learners' journey (Locust), database restart
	$(PY) bench/run.py; table=$$?; $(PY) bench/cold_pages.py; cold=$$?; $(PY) bench/authoring_import.py; banks=$$?; \
	$(PY) bench/fsrs_fit.py; fit=$$?; $(PY) bench/classes.py; classes=$$?; $(PY) bench/journey.py; journey=$$?; \
	$(PY) bench/faults.py; faults=$$?; exit $$((table || cold || banks || fit || classes || journey || faults))

lint: install ## Check style and common bugs (ruff)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

fmt: install ## Format the code (ruff)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

clean: ## Remove the virtualenv, the SQLite database and collected static files
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles

.PHONY: help install db run test bench lint fmt clean
