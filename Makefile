# Candor — two commands do everything: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint pin migrate demo install install-dev pds clean help bench

help:
	@echo "make run    install, migrate, load demo data, start web + worker + beat on http://$(HOST):$(PORT)"
	@echo "make test   install dev requirements and run the whole test suite"
	@echo "make lint   ruff"
	@echo "make pin    re-pin requirements/*.txt from requirements/*.in"

$(VENV)/bin/activate:
	@test -n "$(PYTHON)" || { echo "Python 3.11 is required (python3.11 not found)." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed-base: requirements/base.txt | $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements/base.txt
	@touch $@

$(VENV)/.installed-dev: requirements/dev.txt | $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements/dev.txt
	@touch $@ $(VENV)/.installed-base

# The real Bluesky server the tests post to (Node; compiled once, ~2 min).
pds/node_modules/.installed: pds/package-lock.json
	@command -v npm >/dev/null || { echo "Node.js and npm are required for the Bluesky tests (apt-get install nodejs npm)." >&2; exit 1; }
	npm_config_nodedir=/usr npm ci --prefix pds --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed-base
install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

run: demo
	@echo ""
	@echo "  Candor is starting: open http://$(HOST):$(PORT)/  (Ctrl-C stops web, worker and beat)"
	@echo ""
	CANDOR_HOST=$(HOST) PORT=$(PORT) $(VENV)/bin/honcho start -f Procfile

test: install-dev pds/node_modules/.installed
	@set +e; $(VENV)/bin/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure, not a pass." >&2; exit 1; fi; \
	exit $$rc

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

pin: install-dev
	$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links --allow-unsafe -o requirements/base.txt requirements/base.in
	$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links --allow-unsafe -o requirements/dev.txt requirements/dev.in
	$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links --allow-unsafe -o requirements/prod.txt requirements/prod.in

clean:
	rm -rf var/test var/broker
