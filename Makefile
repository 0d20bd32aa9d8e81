# One command runs the site, one runs the tests. Both create or reuse .venv.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed

.PHONY: run stop dev test install browser lint loadtest

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

# Headless Chromium from Debian for the browser tests (Playwright drives it; no browser download), and axe-core
# (npm, pinned in tests/browser/axe) for their accessibility checks.
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
		|| (echo "Could not install Debian's chromium package, which the browser tests need" >&2; exit 1)
	@test -f tests/browser/axe/node_modules/axe-core/axe.min.js || npm ci --prefix tests/browser/axe --no-audit --no-fund --silent \
		|| (echo "Could not install axe-core from npm, which the accessibility tests inject" >&2; exit 1)

# The production topology on this machine: gunicorn, Celery workers, one scheduler, embedded PostgreSQL and Redis.
run: install
	$(PY) -m ops.run

# Stop what `make run` started (and the embedded servers) from another terminal.
stop:
	$(PY) -m platform_site.embedded stop

# Django's autoreloading development server instead of gunicorn (workers and scheduler as in `make run`).
dev: install
	PLATFORM_WEB=runserver $(PY) -m ops.run

# HTTP load benchmark with wrk (Debian's package) against the site as `make run` starts it; build the catalog first:
#   EMBEDDED_DATABASE=platform_bench100k .venv/bin/python manage.py benchmark_feed --items 100000
loadtest: install
	@command -v wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null) \
		|| (echo "Could not install Debian's wrk package, which the load benchmark uses" >&2; exit 1)
	EMBEDDED_DATABASE=$${EMBEDDED_DATABASE:-platform_bench100k} $(PY) manage.py load_benchmark $(LOADTEST_ARGS)

test: install browser
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .
