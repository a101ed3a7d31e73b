# Two commands a newcomer needs: `make demo` and `make test`. Both build their environment from nothing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.13: whatever `python3.13` is on PATH, else pyenv's newest 3.13.
PYTHON313 ?= $(shell command -v python3.13 2>/dev/null || echo "$$(pyenv root 2>/dev/null)/versions/$$(pyenv latest 3.13 2>/dev/null)/bin/python3.13")
VENV      := .venv
SAM_VENV  := .venv-sam
SCAN_VENV := .venv-scan
CDK_VENV  := .venv-cdk
PY        := $(VENV)/bin/python
SAM       := $(SAM_VENV)/bin/sam
# pip byte-compiles every module it installs unless told not to: half an install's CPU, for modules most of which
# nothing imports; Python compiles a module when it first imports it.
PIP_OPTIONS := --quiet --disable-pip-version-check --no-compile

.PHONY: help demo test check lint typecheck unit checks-tools install-check sam-build bench screenshot fuzz lock lock-scan lock-cdk clean

help:
	@echo "make demo    run the whole tuning workflow locally, against an in-process AWS emulator"
	@echo "make test    every check: ruff, mypy, pytest (unit, contract, end-to-end, a fresh pip install), sam validate/build, checkov, parliament"
	@echo "make check   the edit loop: unit and contract tests, without the end-to-end runs"
	@echo "make bench   the adaptive-search benchmark (table + chart)"
	@echo "make fuzz    thousands of generated hostile inputs against Plan"
	@echo "make screenshot  the README's picture of the report (the demo's adaptive run, headless Chromium)"

$(VENV)/.ready: requirements/dev.txt requirements/translator.txt requirements/build.txt src/requirements.txt pyproject.toml
	@test -x "$(PYTHON313)" || { echo "Python 3.13 not found: install it (pyenv install 3.13) or set PYTHON313=/path/to/python3.13"; exit 1; }
	$(PYTHON313) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_OPTIONS) -r requirements/dev.txt
	$(VENV)/bin/pip install $(PIP_OPTIONS) --no-deps -r requirements/translator.txt
	$(VENV)/bin/pip install $(PIP_OPTIONS) -r requirements/build.txt
	$(VENV)/bin/pip install $(PIP_OPTIONS) --no-deps -e .
	@touch $@

$(SAM_VENV)/.ready: requirements/sam.txt
	$(PYTHON313) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install $(PIP_OPTIONS) -r requirements/sam.txt
	@touch $@

# checkov and parliament, the security scanners the contract tests run (their own venv: their pins are not ours).
$(SCAN_VENV)/.ready: requirements/scan.txt
	$(PYTHON313) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/pip install $(PIP_OPTIONS) -r requirements/scan.txt
	@touch $@

# aws-cdk-lib for the CDK construct (tools/autotuner_cdk), which `cdk synth` runs in the contract tests; the project
# itself without its dependencies (the construct includes template.yaml through the emulator's translator).
$(CDK_VENV)/.ready: requirements/cdk.txt pyproject.toml
	$(PYTHON313) -m venv $(CDK_VENV)
	$(CDK_VENV)/bin/pip install $(PIP_OPTIONS) -r requirements/cdk.txt
	$(CDK_VENV)/bin/pip install $(PIP_OPTIONS) --no-deps -e .
	@touch $@

node_modules/.ready: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

demo: $(VENV)/.ready
	$(VENV)/bin/autotuner demo

lint: $(VENV)/.ready
	$(VENV)/bin/ruff check src tools tests bench
	$(VENV)/bin/ruff format --check src tools tests bench

typecheck: $(VENV)/.ready
	$(VENV)/bin/mypy

unit: $(VENV)/.ready
	$(VENV)/bin/pytest

# Tools the contract tests call: SAM CLI (own venv, own boto3), the npm ASL validator and CDK CLI, checkov and
# parliament, the CDK construct's Python.
checks-tools: $(SAM_VENV)/.ready $(SCAN_VENV)/.ready $(CDK_VENV)/.ready node_modules/.ready
CHECKS_TOOLS := AUTOTUNER_SAM=$(abspath $(SAM)) AUTOTUNER_ASL_VALIDATOR=$(abspath node_modules/.bin/asl-validator) \
	AUTOTUNER_CHECKOV=$(abspath $(SCAN_VENV)/bin/checkov) AUTOTUNER_PARLIAMENT=$(abspath $(SCAN_VENV)/bin/parliament) \
	AUTOTUNER_CDK=$(abspath node_modules/.bin/cdk) AUTOTUNER_CDK_PYTHON=$(abspath $(CDK_VENV)/bin/python)

# pytest-xdist runs the tests in a worker process per core; a worker that runs out of tests takes some of another's
# (work stealing), so none idles behind a long test (the fresh install, sam build, a fault-matrix shard).
WORKERS ?= auto
PARALLEL := -n $(WORKERS) --dist worksteal

# The five environments build at once (pip and npm wait on the network as much as on a core); ruff and mypy start
# as soon as theirs is ready; pytest starts when all are done.
test:
	$(MAKE) -j5 lint typecheck checks-tools
	$(CHECKS_TOOLS) $(VENV)/bin/pytest $(PARALLEL)

check: $(VENV)/.ready checks-tools
	$(CHECKS_TOOLS) $(VENV)/bin/pytest $(PARALLEL) -m "not slow" tests/unit tests/contract

# A new virtual environment with only `pip install '.[demo]'` runs `autotuner --version` and the demo (make test
# runs it too; it needs the package registry).
install-check: $(VENV)/.ready
	$(VENV)/bin/pytest -m install

# Thousands of generated hostile inputs against Plan (make test runs a few hundred).
fuzz: $(VENV)/.ready
	AUTOTUNER_FUZZ_EXAMPLES=3000 $(VENV)/bin/pytest -q tests/integration/test_input_fuzzing.py

bench: $(VENV)/.ready
	$(VENV)/bin/python -m bench

# docs/report-screenshot.png, the README's picture: the demo's adaptive run, its report section as Chromium draws it.
screenshot: $(VENV)/.ready
	$(VENV)/bin/python -m bench.screenshot

lock:
	rm -rf /tmp/autotuner-lock && $(PYTHON313) -m venv /tmp/autotuner-lock
	/tmp/autotuner-lock/bin/pip install $(PIP_OPTIONS) -r requirements/dev.in
	{ echo "# Generated by \`make lock\` from dev.in: exact versions for a reproducible environment."; \
	  /tmp/autotuner-lock/bin/pip freeze --exclude-editable | grep -v '^pip=='; } > requirements/dev.txt

# requirements/scan.txt and cdk.txt, each from its .in in a venv of its own (their pins are not the dev venv's).
lock-scan lock-cdk: lock-%:
	rm -rf .venv-$*-lock && $(PYTHON313) -m venv .venv-$*-lock
	.venv-$*-lock/bin/pip install $(PIP_OPTIONS) -r requirements/$*.in
	{ echo "# Generated by \`make lock-$*\` from $*.in: exact versions for a reproducible environment."; \
	  .venv-$*-lock/bin/pip freeze --all | grep -v '^pip=='; } > requirements/$*.txt
	rm -rf .venv-$*-lock

clean:
	rm -rf $(VENV) $(SAM_VENV) $(SCAN_VENV) $(CDK_VENV) node_modules .aws-sam .mypy_cache .ruff_cache .pytest_cache
