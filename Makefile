# Two commands do all set-up on a fresh machine: `make demo` and `make test`.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: install demo demo-reset test contract lint chromium serve bench bench-scale wrk translations translations-compile screenshots

## install: create .venv with the shop, the sandbox and every test tool (repeatable)
install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || { echo "Creating the virtual environment in $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "Installing the shop, the sandbox and the test tools into $(VENV) (a minute the first time)"
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@ $(VENV)/.installed-app

# What the demo needs and no more: the test tools come with `make test`.
$(VENV)/.installed-app: pyproject.toml
	@test -x $(PY) || { echo "Creating the virtual environment in $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "Installing the shop and the Invoicebox sandbox into $(VENV) (a minute the first time)"
	@$(PY) -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

## demo: run the shop and the Invoicebox sandbox together, seeded, ready to click through
demo: $(VENV)/.installed-app
	@$(PY) scripts/demo.py

## demo-reset: forget the demo's orders, refunds and sandbox state (the next `make demo` starts afresh)
demo-reset:
	rm -f instance/storefront.db instance/sandbox.sqlite3 instance/sandbox-config.json

## test: install what the tests need (Chromium included), lint, and run every test
test: install chromium
	$(VENV)/bin/ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

## contract: the API contract suite, against a fresh local sandbox or the API INVOICEBOX_API_URL names
# (with INVOICEBOX_TOKEN, INVOICEBOX_MERCHANT_ID, optionally INVOICEBOX_API_VERSION). The values
# are read by the shell, so make never prints the token.
contract: install
	CONTRACT_API_URL="$${INVOICEBOX_API_URL:-}" CONTRACT_TOKEN="$${INVOICEBOX_TOKEN:-}" \
	CONTRACT_MERCHANT_ID="$${INVOICEBOX_MERCHANT_ID:-}" \
	CONTRACT_API_VERSION="$${INVOICEBOX_API_VERSION:-v3}" \
	$(PY) -m pytest -m contract -rs tests/contract $(PYTEST_ARGS)

## serve: production server: migrate, then gunicorn with $$WEB_CONCURRENCY workers (default 2)
serve: install
	$(VENV)/bin/flask --app storefront db upgrade
	$(VENV)/bin/gunicorn --config gunicorn.conf.py

## bench: the shop under gunicorn vs bare Flask ceilings (hello, one INSERT), with wrk; writes bench-results.json
bench: install wrk
	$(PY) scripts/bench.py

## bench-scale: staff pages and notifications at 10k, 100k and 1M orders; writes bench-scale.json
bench-scale: install
	$(PY) scripts/bench_scale.py

wrk:
	@command -v wrk >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
		else echo "wrk is missing: install it with 'sudo apt-get install -y wrk'." >&2; exit 1; fi; }

## translations: extract every marked string, merge it into the ru and en catalogs, compile
# (then translate what `make translations` reports as missing, and run it again). Locations name
# files only, so a change elsewhere in a file does not touch the catalogs. The compiled
# .mo files are committed, so a fresh clone needs no build step.
TRANSLATIONS := storefront/translations
PYBABEL := $(VENV)/bin/pybabel
EXTRACT_KEYWORDS := -k _l -k lazy_gettext -k N_ -k lazy_ngettext:1,2
translations: install
	$(PYBABEL) -q extract -F babel.cfg $(EXTRACT_KEYWORDS) --no-wrap --sort-by-file --add-location=file \
		--project=invoicebox-storefront --copyright-holder="Invoicebox storefront" \
		-o $(TRANSLATIONS)/messages.pot .
	$(PYBABEL) -q update --no-wrap --ignore-obsolete --no-fuzzy-matching \
		-i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)
	$(PY) -m storefront.translations_check --fill-english
	$(MAKE) --no-print-directory translations-compile

## translations-compile: the .po catalogs to the .mo files the shop loads
translations-compile: install
	$(PYBABEL) -q compile --statistics -d $(TRANSLATIONS)
	$(PY) -m storefront.translations_check

## screenshots: run the demo on spare ports and photograph the journey in Chromium (docs/screenshots)
screenshots: install chromium
	$(PY) scripts/screenshots.py

## lint: ruff over everything
lint: install
	$(VENV)/bin/ruff check .

# Playwright cannot download browsers here, so e2e tests drive Debian's Chromium.
chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "Installing Chromium for the e2e tests (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "Chromium is missing: install it with 'sudo apt-get install -y chromium', then re-run 'make test'." >&2; \
		exit 1; \
	fi
