# CountyZero — the two commands a fresh machine needs: `make demo` and `make test`.
# uv is installed with pip when missing; everything else comes from uv.lock.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
VENV := .venv
BIN := $(VENV)/bin
DEMO_OUT ?= build/baoting-2022
DEMO_SERVE ?= 1

.PHONY: install uv fonts chromium demo stop serve test lint typecheck pytest bench screenshots clean

uv:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv

install: uv
	$(UV) sync --frozen

# A CJK font so that Chinese renders in figures, screenshots and PDFs (Debian package; best effort).
fonts:
	@if command -v fc-list >/dev/null 2>&1 && fc-list | grep -qi -e 'wqy' -e 'noto sans cjk'; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  (apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1 || \
	   (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1)) \
	  || echo "note: could not install fonts-wqy-microhei; Chinese may show as boxes in figures"; \
	else echo "note: no CJK font found; install fonts-wqy-microhei for Chinese in figures"; fi

# Debian's Chromium for the browser tests (Playwright drives it by its executable path; no browser download).
chromium: fonts
	@if [ -x /usr/bin/chromium ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq >/dev/null 2>&1; apt-get install -y -qq chromium >/dev/null 2>&1 \
	  || echo "note: could not install chromium; the browser tests will be skipped"; \
	else echo "note: no chromium; the browser tests will be skipped"; fi

demo: install fonts
	$(BIN)/countyzero inventory compute examples/baoting/inventory-2022.yaml --format table
	$(BIN)/countyzero inventory report examples/baoting/inventory-2022.yaml --output $(DEMO_OUT) --pdf
	$(BIN)/countyzero roadmap examples/baoting --format table --iamc $(DEMO_OUT)/roadmap.csv \
	  --report $(DEMO_OUT)/roadmap.html --pdf $(DEMO_OUT)/roadmap.pdf
	@echo "Open $(DEMO_OUT)/report.html (inventory) and $(DEMO_OUT)/roadmap.html (roadmap) in a browser, or the PDFs;"
	@echo "inventory.json and roadmap.csv (IAMC format) beside them hold every number."
	$(BIN)/countyzero demo-load
	@if [ "$(DEMO_SERVE)" = 0 ]; then echo "DEMO_SERVE=0: not starting the server (make serve starts it in the foreground)"; \
	else scripts/demo-server.sh start; fi

# Stop the server that `make demo` started in the background.
stop:
	@scripts/demo-server.sh stop

# The web platform with the Baoting demo organisation, users and inventory (first slice; docs/platform.md).
serve: install fonts
	$(BIN)/countyzero demo-load
	$(BIN)/countyzero serve

lint: install
	$(BIN)/ruff check src tests benchmarks

typecheck: install
	$(BIN)/mypy

# The database tests run on SQLite and on a local PostgreSQL that scripts/postgres-for-tests.sh starts.
pytest: install chromium
	COUNTYZERO_TEST_POSTGRES_URL="$$(scripts/postgres-for-tests.sh)" $(BIN)/pytest -q

test: lint typecheck pytest

bench: uv
	$(UV) sync --frozen --group bench
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

screenshots: install chromium
	COUNTYZERO_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/platform/test_browser.py tests/platform/test_browser_labels.py \
	  tests/platform/test_browser_pages.py

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache

.PHONY: loadtest audit-refresh

# Load test on loopback (docs/reliability.md): starts its own server on a free port with a temporary SQLite
# database, runs 10-200 simulated users over pages, API reads and building uploads, checks the database after,
# and writes the figures into docs/reliability.md. A few minutes; not part of `make test`. LOADTEST_ARGS adds options.
loadtest: install
	$(BIN)/python benchmarks/load/loadtest.py $(LOADTEST_ARGS)

# Rebuild the vendored advisory snapshot that the offline dependency audit in `make test` reads
# (tests/security/test_supply_chain.py) from the PyPA Advisory Database; needs GitHub, or
# ADVISORY_SOURCE=<folder holding vulns/> from a checkout or an extracted archive (ADVISORY_COMMIT=<its commit>).
audit-refresh: install
	$(BIN)/python security/advisories/refresh.py $(if $(ADVISORY_SOURCE),--source $(ADVISORY_SOURCE)) $(if $(ADVISORY_COMMIT),--commit $(ADVISORY_COMMIT))
