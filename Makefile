# Gradient Flow: two commands for a new user, `make book` and `make test`.
# Both create .venv from pyproject.toml when it is missing or out of date.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)
STAMP := $(VENV)/.installed
VENDOR := _vendor/static/vendor
NODE_MODULES := _assets/js/node_modules
FONTS := $(NODE_MODULES)/@jupyter-widgets/html-manager/dist/*.{woff,woff2,ttf,eot,svg}

.PHONY: book test lint format assets bench exercises lab clean help

help:
	@echo "make book   build the website into _build/html (executes every chapter)"
	@echo "make test   run the whole test suite (lint, unit tests, book build, browser test)"
	@echo "make lab    open the course in JupyterLab (chapters open as notebooks)"
	@echo "make bench  measure the course's speed against its targets"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -e ".[book,test]"
	@touch $@

# Third-party JavaScript for the offline website, from npm (never committed).
$(VENDOR)/.stamp: _assets/js/package.json _assets/js/package-lock.json
	@if command -v npm >/dev/null; then \
	  (cd _assets/js && npm ci --no-audit --no-fund --loglevel=error) && \
	  rm -rf _vendor && mkdir -p $(VENDOR) && \
	  cp -r $(NODE_MODULES)/mathjax/es5 $(VENDOR)/mathjax && \
	  mkdir -p $(VENDOR)/requirejs && cp $(NODE_MODULES)/requirejs/require.js $(VENDOR)/requirejs/ && \
	  cp -r $(NODE_MODULES)/@jupyter-widgets/html-manager/dist $(VENDOR)/html-manager && \
	  for d in _vendor/extra _vendor/extra/chapters; do \
	    mkdir -p $$d/@jupyter-widgets/html-manager/dist && cp $(FONTS) $$d/@jupyter-widgets/html-manager/dist/; done && \
	  touch $@; \
	else echo "WARNING: npm not found: the website will load MathJax and widgets from CDNs (install Node.js for an offline site)"; fi

assets: $(VENDOR)/.stamp

book: $(STAMP) assets
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "Open $(abspath _build/html/index.html)"

test: $(STAMP) assets
	$(BIN)/python tools/ensure_debian_packages.py chromium bubblewrap
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lab: $(STAMP)
	$(BIN)/python tools/lab.py

bench: $(STAMP) assets
	$(BIN)/python benchmarks/run_all.py

exercises: $(STAMP)
	$(BIN)/python -m gradflow.grading generate

clean:
	rm -rf _build _vendor
