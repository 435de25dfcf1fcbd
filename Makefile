# consult – two commands: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app consult
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider
## make run HOST=0.0.0.0 PORT=5001: where `make run` serves (set on the command line only:
## a HOST or PORT in the environment, as some shells set, does not count)
HOST   := 127.0.0.1
PORT   := 5000

.PHONY: run check-port serve install install-test translations translations-update pdf-libs chromium lint imports types test test-db bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

translations: $(VENV)/.installed
	@$(BIN)/pybabel -q compile -d consult/translations -D messages

## make translations-update: re-extract the marked strings into messages.pot, merge them into the English catalog
translations-update: $(VENV)/.installed
	$(BIN)/pybabel extract -F consult/translations/babel.cfg -k _l -k lazy_gettext \
	  -o consult/translations/messages.pot --no-location --sort-output --project consult .
	$(BIN)/pybabel update -i consult/translations/messages.pot -d consult/translations \
	  -D messages -l en --init-missing --ignore-obsolete --previous -w 100

## make run: install, migrate the SQLite database, load the demo, serve on $(HOST):$(PORT)
run: check-port install translations pdf-libs
	$(FLASK) db upgrade
	$(FLASK) demo load
	@$(PYTHON) -c "$$PORT_CHECK" "$(HOST)" "$(PORT)"
	@echo "consult läuft auf http://$(HOST):$(PORT) (Strg+C beendet)"
	$(FLASK) run --host "$(HOST)" --port "$(PORT)"

## make check-port: stop with a message naming the port when HOST:PORT cannot be served
## (taken by another program, or not a port), before anything claims to be running.
## Binds as `flask run` does (SO_REUSEADDR), so a port just freed counts as free.
define PORT_CHECK
import errno, socket, sys
host, port = sys.argv[1], sys.argv[2]
if not port.isdigit() or not 0 < int(port) < 65536:
    sys.exit(f"PORT={port} ist keine Portnummer (1 bis 65535). Beispiel: make run PORT=5001")
other = f"Einen anderen Port wählen: make run PORT={int(port) % 65535 + 1}"
try:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, int(port)))
except OSError as error:
    if error.errno == errno.EADDRINUSE:
        sys.exit(f"Port {port} ist schon belegt (läuft consult schon oder ein anderes Programm?). {other}")
    if error.errno == errno.EACCES:
        sys.exit(f"Port {port} darf nur mit Administratorrechten geöffnet werden. {other}")
    if isinstance(error, socket.gaierror) or error.errno == errno.EADDRNOTAVAIL:
        sys.exit(f"HOST={host} ist keine Adresse dieses Rechners. Beispiel: make run HOST=127.0.0.1")
    sys.exit(f"{host}:{port} lässt sich nicht öffnen ({error.strerror}). {other}")
endef
export PORT_CHECK

check-port:
	@$(PYTHON) -c "$$PORT_CHECK" "$(HOST)" "$(PORT)"

## Pango and the fonts for WeasyPrint (the exports: revision, synopsis, tables, annex,
## report; the confirmations' PDF copies), from Debian as Chromium is: DejaVu (Latin, Arabic,
## Cyrillic ...), Noto Color Emoji (emoji, by fontconfig's fallback), and poppler-utils
## (pdftotext/pdftoppm: the tests read the PDFs, and people look at their pages)
PDF_PACKAGES = libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-noto-color-emoji poppler-utils
pdf-libs:
	@if ! ldconfig -p | grep -q 'libpangoft2-1.0.so.0' || [ ! -d /usr/share/fonts/truetype/dejavu ] \
	    || [ ! -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] \
	    || ! command -v pdftotext >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Pango, the fonts and poppler-utils (apt) for the PDF exports ..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_PACKAGES) >/dev/null; \
	  else \
	    echo "The PDF exports need Pango, fonts and poppler-utils: run 'sudo apt-get install $(PDF_PACKAGES)' and retry."; \
	    exit 1; \
	  fi; \
	fi

## Debian's Chromium for the browser tests (never a downloaded browser build)
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian's chromium (apt) for the browser tests ..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	  else \
	    echo "The browser tests need Debian's chromium: run 'sudo apt-get install chromium' and retry."; \
	    exit 1; \
	  fi; \
	fi

lint: install-test imports
	$(BIN)/ruff check consult tests migrations wsgi.py
	$(BIN)/ruff format --check consult tests migrations/env.py wsgi.py

## make imports: the import contracts in pyproject.toml ([tool.importlinter]): the domain is
## plain Python, the layers web/api -> services -> models -> domain, no import cycles
imports: install-test
	$(BIN)/lint-imports --no-cache --no-logo

types: install-test
	$(BIN)/mypy

## make test: everything (lint, types, unit, migrations, services, web, API, concurrency
## against a running server, browser)
test: install-test translations pdf-libs chromium lint types
	$(PYTEST) tests/unit tests/migrations tests/services tests/web tests/api tests/concurrency tests/browser

## The tiers that touch the database (run again on PostgreSQL by .ci/run; there the
## concurrency tier runs gunicorn with 4 workers and the rate limits in CONSULT_TEST_REDIS_URL)
test-db: install-test translations pdf-libs
	$(PYTEST) tests/migrations tests/services tests/web tests/api tests/concurrency

bench: install-test translations
	$(PYTEST) tests/benchmarks -s

clean:
	rm -rf $(VENV) instance .mypy_cache .ruff_cache .hypothesis
