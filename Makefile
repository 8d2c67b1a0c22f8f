# Two commands do all set-up on a fresh machine: `make demo` and `make test`.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: install demo test contract lint chromium serve bench bench-scale wrk

## install: create .venv with the shop, the sandbox and every test tool (repeatable)
install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

## demo: run the shop and the Invoicebox sandbox together, seeded, ready to click through
demo: install
	$(PY) scripts/demo.py

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
