# Bio-Lakehouse. `make help` lists the targets; `make demo` and `make test` set up what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIOLAKE_CACHE ?= $(HOME)/.cache/biolake
export BIOLAKE_CACHE_DIR := $(BIOLAKE_CACHE)
export SPARK_LOCAL_IP := 127.0.0.1
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

TRINO_VERSION := 476
TRINO_TARBALL := $(BIOLAKE_CACHE)/trino/trino-server-$(TRINO_VERSION).tar.gz

.PHONY: help install jars trino demo test lint clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## Create the virtualenv and install the project with its dev tools

jars:  ## Fetch the Delta Lake and S3 jars into the cache (Maven, once)
	spark_jobs/jars/fetch.sh $(BIOLAKE_CACHE)/jars

trino: $(TRINO_TARBALL)  ## Fetch the Trino server release (Maven Central, once) for tests and local serving

$(TRINO_TARBALL):
	mvn -q -B dependency:copy -Dartifact=io.trino:trino-server:$(TRINO_VERSION):tar.gz \
	    -DoutputDirectory=$(BIOLAKE_CACHE)/trino

demo: install jars  ## Generate a sample person, ingest, build the lake, print the tables
	$(BIN)/biolake demo --no-serve

test: install jars trino  ## Run the whole test suite (real Spark + Delta, a real Trino server)
	$(BIN)/python -m pytest -q

lint: install  ## ruff
	$(BIN)/ruff check .

clean:  ## Remove the virtualenv and caches inside the repository
	rm -rf $(VENV) .pytest_cache
