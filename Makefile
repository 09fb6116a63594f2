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

.PHONY: help install jars trino demo test lint clean browser bench fuzz chaos

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

demo: install jars  ## Generate a sample person, ingest, build the lake, print the tables, serve the dashboard
	$(BIN)/biolake demo

# PYTEST_ARGS selects a tier, e.g. `make test PYTEST_ARGS='-m "not docker and not browser"'`
PYTEST_ARGS ?=

test: lint jars trino helm browser docker-engine cluster-build  ## Lint (ruff, import rules), then the whole suite (real Spark + Delta, Trino, SeaweedFS, Docker, Chromium, a Kubernetes cluster)
	@engine=$$(docker/engine.sh start); rc=0; \
	cluster_was_up=$$($(CLUSTER) status >/dev/null 2>&1 && echo yes || true); \
	$(BIN)/python -m pytest -q $(PYTEST_ARGS) || rc=$$?; \
	if [ -z "$$cluster_was_up" ]; then $(CLUSTER) down || rc=1; fi; \
	if [ "$$engine" = started ]; then docker/engine.sh stop; fi; \
	exit $$rc

browser: install  ## Debian's Chromium and Playwright for Python (report charts, browser tests)
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	$(BIN)/pip install -q playwright

bench: install jars trino browser  ## Measure pipeline, engines, answers, imports, dashboard (benchmarks/results, README table; ~20 min)
	$(BIN)/python benchmarks/run.py

# `make test` runs the same tests with a few hundred cases each, the same ones every run
fuzz: install  ## Fuzz the Oura, Peloton and Apple Health readers and the SQL guard: 10,000 cases per target (tests/fuzz)
	BIOLAKE_FUZZ_EXAMPLES=10000 $(BIN)/python -m pytest -q tests/fuzz -p no:cacheprovider \
	    --hypothesis-show-statistics

# `make test` runs the same test with 3 ETL kills and 2 ingest kills; BIOLAKE_CHAOS_SEED repeats a run
chaos: install jars  ## kill -9 10 ETLs and 5 ingests part way through, at seeded random points; the rerun must equal a clean build (tests/integration/test_crashes.py)
	BIOLAKE_CHAOS_ETL_KILLS=10 BIOLAKE_CHAOS_INGEST_KILLS=5 $(BIN)/python -m pytest -q -s \
	    tests/integration/test_crashes.py -p no:cacheprovider

lint: install  ## ruff, and the import rules of pyproject.toml (import-linter)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache  # its on-disk cache kept stale results after edits here

clean:  ## Remove the virtualenv and caches inside the repository
	rm -rf $(VENV) .pytest_cache

# -- Kubernetes packaging: docker/, charts/bio-lakehouse, skaffold.yaml ---------------------------
HELM_VERSION := v3.22.0
# the Kubernetes minor release helm v3.22 is built against: its default for `template` and `lint`
HELM_K8S_MINOR := 37
HELM := $(BIOLAKE_CACHE)/helm/$(HELM_VERSION)/helm
GO ?= $(or $(shell command -v go),/usr/local/go/bin/go)
export BIOLAKE_HELM := $(HELM)
.PHONY: helm images requirements docker-engine

helm: $(HELM)  ## Build helm from the Go module proxy into the cache (once)

$(HELM):
	GOBIN=$(dir $(HELM)) $(GO) install -ldflags "-s -w \
	    -X helm.sh/helm/v3/internal/version.version=$(HELM_VERSION) \
	    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 \
	    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$(HELM_K8S_MINOR) \
	    -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 \
	    -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$(HELM_K8S_MINOR)" \
	    helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)

images: requirements docker-engine  ## Build the project and Spark images with the local Docker engine
	docker/build-images.sh

docker-engine:  ## Install Debian's Docker engine and debootstrap when missing (the container test)
	docker/engine.sh install

requirements: install  ## Pin the images' Python packages (docker/requirements.txt)
	$(BIN)/python docker/freeze_requirements.py

# A single-node cluster on this machine for tests that install the chart on a real API server
# (tests/system/cluster/README.md): Kubernetes built from the Go module proxy, Debian's etcd and
# containerd; every address stays on this machine.
CLUSTER := tests/system/cluster/cluster.sh
.PHONY: cluster-build cluster-up cluster-down cluster-images

cluster-build:  ## Debian's etcd, containerd, CNI plugins; Kubernetes v1.34 and CoreDNS built into the cache (once, ~17 min)
	GO=$(GO) $(CLUSTER) build

cluster-up: cluster-build  ## Start the single-node cluster (~20 s warm); its last line is `export KUBECONFIG=...`
	GO=$(GO) $(CLUSTER) up

cluster-down:  ## Stop the cluster and remove everything it made (processes, pods, mounts, bridges, iptables chains)
	$(CLUSTER) down

cluster-images: images  ## Import the images `make images` built into the running cluster's containerd
	$(CLUSTER) images
