# vpdt: the two commands are `make run` and `make test`; everything else here serves them.
SHELL := /bin/bash
# The virtual environment's interpreter: Debian's python3.11 where it is installed with venv
# (python3.11-venv), else python3 from the PATH; `make PYTHON=...` chooses another. Debian builds
# it with profile-guided and link-time optimisation, linked statically: vpdt's Python runs 8-17 %
# cheaper on it than on a default source build such as pyenv's (docs/BENCHMARKS.md, "The
# interpreter"). An existing .venv keeps the interpreter it was made with (remove it first).
PYTHON ?= $(shell /usr/bin/python3.11 -c 'import ensurepip, venv' >/dev/null 2>&1 && echo /usr/bin/python3.11 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
# Debian packages the suite and the demo use: the browser for UI tests, SoftHSM2 for
# token signing, tesseract with the Vietnamese model for OCR and poppler-utils (pdftoppm) to render scanned pages for it, DejaVu fonts for PDFs, LibreOffice
# (no GUI) to turn .docx/.odt drafts into PDF, Liberation fonts (metric-compatible Times New Roman).
# zbar-tools: zbarimg decodes the one-stop slip's QR code in the browser walk.
DEB_PACKAGES := chromium chromium-driver softhsm2 opensc tesseract-ocr tesseract-ocr-vie poppler-utils fonts-dejavu-core \
	libreoffice-writer-nogui fonts-liberation2 zbar-tools
PG_URL ?= postgres://postgres@127.0.0.1:5432/vpdt

.PHONY: run test test-fast test-pg test-pg-rest deps venv system-deps lint lock bench clean

run: deps
	$(BIN)/vpdt serve --host $(HOST) --port $(PORT) --demo

# The whole suite on SQLite, then the database rules (marker `backends`) on PostgreSQL.
# pytest-xdist runs one worker per core (a test file stays on one worker, so its module
# fixtures are made once); XDIST= (empty) runs it in one process.
XDIST ?= -n auto --dist loadfile
test: deps
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)
	@if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then \
	  echo "== database rules again on PostgreSQL ($(PG_URL)) =="; \
	  VPDT_TEST_DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest -m backends $(XDIST) $(PYTEST_ARGS); \
	else \
	  echo "!! PostgreSQL does not answer on 127.0.0.1:5432: the PostgreSQL checks are SKIPPED !!"; \
	fi

# The same suite on SQLite, in parallel (pytest-xdist, one worker per core; a test file stays on
# one worker so its module fixtures are made once): a quick check while developing. `make test`
# stays the whole-suite command.
test-fast: deps
	$(BIN)/python -m pytest -n auto --dist loadfile $(PYTEST_ARGS)

# The whole suite again on PostgreSQL (skips loudly if no server answers).
test-pg: deps
	VPDT_TEST_DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

# What `make test` has not already run on PostgreSQL (everything but the marker `backends`):
# CI runs it after `make test`, so the whole suite runs once on each backend, not the database
# rules twice on PostgreSQL.
test-pg-rest: deps
	VPDT_TEST_DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest -m "not backends" $(XDIST) $(PYTEST_ARGS)

deps: system-deps $(VENV)/.installed

venv: $(VENV)/.installed

# Installs the exact versions of requirements.lock (runtime and dev, hashes checked), then
# vpdt itself without resolving anything again. `pip check` fails when pyproject.toml names a
# dependency the lock lacks: then run `make lock`.
$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
	touch $@

# Re-resolves requirements.lock from pyproject.toml (runtime + dev extra) for the machines we
# run on (CPython 3.11, Linux x86_64), with uv; then `make venv` installs it. Run it after
# adding or changing a dependency; UPGRADE=1 moves every pin to the newest allowed version.
LOCK_ARGS := --extra dev --python-version 3.11 --python-platform x86_64-unknown-linux-gnu --generate-hashes
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml $(LOCK_ARGS) $(if $(UPGRADE),--upgrade) \
	  --custom-compile-command "make lock" --quiet -o requirements.lock

# Installs the Debian packages only when one is missing (needs root or sudo).
system-deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# ruff, then the import contracts of pyproject.toml ([tool.importlinter]) on this tree's src.
lint: venv
	$(BIN)/ruff check src tests bench
	PYTHONPATH=$(CURDIR)/src $(BIN)/lint-imports --no-cache

bench: deps
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache
