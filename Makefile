# Candor — two commands do everything: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-fast lint typecheck imports security pin migrate demo install install-dev pds clean help bench

help:
	@echo "make run    install, migrate, load demo data, start web + worker + beat on http://$(HOST):$(PORT)"
	@echo "make test   install dev requirements and run the whole test suite"
	@echo "make pds    run a local Bluesky server on 127.0.0.1:2583 (PDS_PORT) with demo account leo.test"
	@echo "make test-fast  the tests that need no worker, Bluesky PDS or browser (about 2 minutes)"
	@echo "make lint   ruff check + ruff format --check (CI runs it)"
	@echo "make typecheck  mypy with the Django and DRF stubs over advocacy/ and accounts/ (CI runs it)"
	@echo "make imports  import-linter: the layer contracts in pyproject.toml (CI runs the kept ones)"
	@echo "make security  bandit, and pip-audit when its database is reachable"
	@echo "make pin    re-pin requirements/*.txt from requirements/*.in"
	@echo "make bench  benchmarks on PostgreSQL + Redis at 127.0.0.1 (QUICK=1: 10x smaller); see README"

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

# The real OpenID Connect provider (npm oidc-provider) the sign-in tests run against.
idp/node_modules/.installed: idp/package-lock.json
	@command -v npm >/dev/null || { echo "Node.js and npm are required for the sign-in tests (apt-get install nodejs npm)." >&2; exit 1; }
	npm ci --prefix idp --no-audit --no-fund --loglevel=error
	@touch $@

# axe-core for the accessibility checks in the browser tests.
e2e/node_modules/.installed: e2e/package-lock.json
	npm ci --prefix e2e --no-audit --no-fund --loglevel=error
	@touch $@

# A local Bluesky server for the demo; prints what to paste into "Connect Bluesky".
pds: pds/node_modules/.installed
	bin/pds-demo

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
	@# honcho, stopped cleanly: Ctrl-C stops each process the way it exits 0, waits for a worker to
	@# hand back its batch, and exits 0 itself (plain honcho always exits 130: "make: *** Error 130").
	CANDOR_HOST=$(HOST) PORT=$(PORT) $(PY) bin/run-procfile -f Procfile

test: install-dev pds/node_modules/.installed idp/node_modules/.installed e2e/node_modules/.installed
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$CI" = "true" ]; then echo "CI needs Chromium for the browser tests: apt-get install chromium" >&2; exit 1; fi; \
	  echo ""; echo "NOTE: /usr/bin/chromium not found, so the browser tests are skipped."; \
	  echo "      Install it with: sudo apt-get install chromium   (Playwright never downloads a browser here)"; echo ""; fi
	@set +e; $(VENV)/bin/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure, not a pass." >&2; exit 1; fi; \
	exit $$rc

# The quick loop while you work; `make test` (the whole suite) is what CI runs.
test-fast: install-dev
	@set +e; $(VENV)/bin/pytest -m "not worker and not pds and not browser" $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure, not a pass." >&2; exit 1; fi; \
	exit $$rc

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy, configured in pyproject.toml ([tool.mypy]): django-stubs and
# djangorestframework-stubs, settings advocacy.settings.test. About 25 s from cold,
# a few seconds with its cache (.mypy_cache/).
typecheck: install-dev
	$(VENV)/bin/mypy

# import-linter, contracts in pyproject.toml ([tool.importlinter]); about 2 s.
# IMPORT_CONTRACTS="leaves fronts" checks only those (by id); CI checks the contracts
# the code keeps today, while `make imports` shows every one, broken ones included.
imports: install-dev
	$(VENV)/bin/lint-imports --no-cache $(foreach c,$(IMPORT_CONTRACTS),--contract $(c))

# bandit (medium severity and confidence and above), then pip-audit on the pinned
# requirements when PyPI's vulnerability data answers for our pinned Django (some
# mirrors answer for projects but not versions, and pip-audit then checks nothing).
# An unreachable database is reported and skipped, never a failure; a known
# vulnerability is a failure.
PIP_AUDIT_SKIPPED := echo "pip-audit skipped: vulnerability database unreachable"
security: install-dev
	$(VENV)/bin/bandit -q -c pyproject.toml -r advocacy accounts --severity-level medium --confidence-level medium
	@django=$$(sed -n 's/^django==//Ip' requirements/base.txt); \
	if ! timeout 15 $(PY) -c "import json, sys, urllib.request; json.load(urllib.request.urlopen(f'https://pypi.org/pypi/django/{sys.argv[1]}/json', timeout=8))['vulnerabilities']" "$$django" >/dev/null 2>&1; then \
	  $(PIP_AUDIT_SKIPPED); exit 0; fi; \
	out=$$(mktemp); \
	timeout 600 $(VENV)/bin/pip-audit --progress-spinner off --no-deps --disable-pip \
	  -r requirements/dev.txt -r requirements/prod.txt >$$out 2>&1; rc=$$?; cat $$out; \
	if [ $$rc -ne 0 ] && { [ $$rc -eq 124 ] || grep -qiE "ConnectionError|Max retries|NameResolution|timed out|Temporary failure" $$out; }; then \
	  $(PIP_AUDIT_SKIPPED); rc=0; fi; \
	rm -f $$out; exit $$rc

pin: install-dev
	$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links --allow-unsafe -o requirements/base.txt requirements/base.in
	$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links --allow-unsafe -o requirements/dev.txt requirements/dev.in
	$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links --allow-unsafe -o requirements/prod.txt requirements/prod.in

# Re-extract the UI strings into locale/{de,id,it}/LC_MESSAGES/django.po and compile the
# .mo files (both are committed, so running Candor needs no gettext). Needs GNU gettext;
# translate new or changed entries in the .po files, then run this again.
.PHONY: messages
messages: install
	@command -v msgfmt >/dev/null || { echo "make messages needs GNU gettext: sudo apt-get install gettext" >&2; exit 1; }
	$(PY) manage.py makemessages -l de -l id -l it --no-obsolete --ignore=.venv --ignore=node_modules --ignore=pds --ignore=e2e --ignore=var
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules --ignore=pds --ignore=e2e --ignore=var

clean:
	rm -rf var/test var/broker

# Benchmarks on the production stack: PostgreSQL and Redis on 127.0.0.1 (the same
# servers CI uses), gunicorn, Celery prefork workers, the local Bluesky PDS, wrk.
# Writes bench/results/latest.{md,json} (QUICK=1: latest-quick.*, 10x smaller data).
$(VENV)/.installed-prod: requirements/prod.txt | $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements/prod.txt
	@touch $@

bench: install-dev $(VENV)/.installed-prod pds/node_modules/.installed
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" != 0 ]; then echo "The portal benchmark needs wrk: sudo apt-get install wrk" >&2; exit 1; fi; \
	  echo "Installing wrk (apt-get) for the portal benchmark"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }; }
	$(PY) bench/run.py $(if $(QUICK),--quick) $(BENCH_ARGS)
