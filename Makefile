# cert-cleanup: the commands a newcomer runs. Each target installs what it needs first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
WHEELHOUSE := .wheelhouse
WHEELS := $(WHEELHOUSE)/.downloaded
NODE_STAMP := node_modules/.installed
CDK := node_modules/.bin/cdk
CDK_ARGS ?=
export PYTHONPATH := $(CURDIR)/lambda:$(CURDIR)/cli:$(CURDIR)
# cdk.json runs `python3 app.py`, as CDK's own Python template does: the venv's python3 comes first.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := true

BENCH_STAMP := $(VENV)/.bench-installed
BENCH_ARGS ?=

# Example organization for an offline `make synth-org`; pass your own to deploy-org.
EXAMPLE_ORG := -c organizationId=o-exampleorg1 -c organizationalUnitIds=ou-abcd-11111111
ORG_ARGS ?= $(EXAMPLE_ORG) -c memberRegion=us-east-1
# Example subscriber for an offline synth: a stack that deletes must tell someone.
EXAMPLE_EMAIL := -c notificationEmails=secops@example.com
# `cdk deploy` with credentials gives the app CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION; `make test`
# synthesizes both apps that way in a region of each partition (and without them: synth, synth-org).
DEPLOY_REGIONS := us-east-1 cn-north-1 us-gov-west-1
EXAMPLE_ACCOUNT := 111122223333

.PHONY: help install wheelhouse lock mutate pictures demo test lint typecheck unit e2e infra-test synth synth-org synth-as-deploy deploy deploy-org destroy destroy-org bench clean

help:
	@echo "make demo     - run cert-cleanup against a local AWS emulator (dry run, real run, 14 days, a digest)"
	@echo "make test     - lint, type-check, unit, end-to-end and stack tests, cdk synth + cfn-lint"
	@echo "make synth    - synthesize the CloudFormation template (no AWS credentials needed)"
	@echo "make deploy   - cdk deploy with your AWS credentials (CDK_ARGS='-c notificationEmails=you@example.com')"
	@echo "make destroy  - remove the stack (the archive bucket is kept)"
	@echo "docs/         - how it works, configuration, deploy, organization, command line, benchmarks"
	@echo "make synth-org / deploy-org - the organization rollout (ORG_ARGS='-c organizationId=o-... -c organizationalUnitIds=ou-...')"
	@echo "make bench    - quota-scale benchmark on the emulator; writes docs/benchmarks.md (takes minutes)"
	@echo "make pictures - docs/pictures/: the architecture from the templates, the email, chat and dashboard from demo runs"
	@echo "make mutate   - mutation testing of the safety core (mutmut), a report per module (takes minutes)"
	@echo "make lock     - after changing lambda/requirements.txt: write the wheels' hashes to lambda/requirements.lock"

$(STAMP): requirements.txt requirements-dev.txt lambda/requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Linux arm64 wheels of the function's pinned dependencies, checked by hash, for bundling without
# Docker (synth downloads them itself when they are missing; this target does it ahead of time).
$(WHEELS): lambda/requirements.lock $(STAMP)
	rm -rf $(WHEELHOUSE)
	$(PY) -m infra.wheels download
	touch $(WHEELS)

wheelhouse: $(WHEELS)

# After changing lambda/requirements.txt: write the sha256 of each Lambda wheel into lambda/requirements.lock.
lock: $(STAMP)
	$(PY) -m infra.wheels lock

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $(NODE_STAMP)

demo: $(STAMP)
	$(PY) scripts/demo.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP)
	$(PY) -m pytest tests/unit

e2e: $(STAMP)
	$(PY) -m pytest tests/e2e

infra-test: $(STAMP) $(WHEELS)
	$(PY) -m pytest tests/infra

# cdk-nag runs inside synth: an unacknowledged finding fails it. cfn-lint then checks the template;
# W3005 (a DependsOn that CDK itself generates next to a GetAtt) is the one check ignored.
synth: $(STAMP) $(WHEELS) $(NODE_STAMP)
	$(CDK) synth --quiet $(if $(CDK_ARGS),$(CDK_ARGS),$(EXAMPLE_EMAIL))
	$(VENV)/bin/cfn-lint --ignore-checks W3005 -- cdk.out/*.template.json

synth-org: $(STAMP) $(WHEELS) $(NODE_STAMP)
	$(CDK) synth --quiet -o cdk.out.org -c mode=organization $(ORG_ARGS) $(if $(CDK_ARGS),$(CDK_ARGS),$(EXAMPLE_EMAIL))
	$(VENV)/bin/cfn-lint --ignore-checks W3005 -- cdk.out.org/*.template.json

# Both apps as `cdk deploy` with credentials synthesizes them, in a region of each partition; cfn-lint checks
# each template against that region's resource types.
synth-as-deploy: $(STAMP) $(WHEELS) $(NODE_STAMP)
	@set -e; for region in $(DEPLOY_REGIONS); do \
	  echo "synth with CDK_DEFAULT_ACCOUNT=$(EXAMPLE_ACCOUNT) CDK_DEFAULT_REGION=$$region"; \
	  export CDK_DEFAULT_ACCOUNT=$(EXAMPLE_ACCOUNT) CDK_DEFAULT_REGION=$$region; \
	  $(CDK) synth --quiet -o cdk.out.deploy/$$region/account $(EXAMPLE_EMAIL); \
	  $(CDK) synth --quiet -o cdk.out.deploy/$$region/organization -c mode=organization $(EXAMPLE_ORG) $(EXAMPLE_EMAIL); \
	  $(VENV)/bin/cfn-lint --regions $$region --ignore-checks W3005 -- cdk.out.deploy/$$region/*/*.template.json; \
	done

deploy-org: $(STAMP) $(WHEELS) $(NODE_STAMP)
	$(CDK) deploy -c mode=organization $(ORG_ARGS) $(CDK_ARGS)

destroy-org: $(STAMP) $(NODE_STAMP)
	$(CDK) destroy -c mode=organization $(ORG_ARGS) $(CDK_ARGS)

# --all: a stack outside us-east-1 (cn-north-1) comes with CertCleanupFindings there (docs/deploy.md).
deploy: $(STAMP) $(WHEELS) $(NODE_STAMP)
	$(CDK) deploy --all $(CDK_ARGS)

destroy: $(STAMP) $(NODE_STAMP)
	$(CDK) destroy --all $(CDK_ARGS)

test: lint typecheck $(WHEELS)
	$(PY) -m pytest tests
	$(MAKE) --no-print-directory synth
	$(MAKE) --no-print-directory synth-org
	$(MAKE) --no-print-directory synth-as-deploy

MUTATE_STAMP := $(VENV)/.mutate-installed
$(MUTATE_STAMP): requirements-mutate.txt $(STAMP)
	$(PY) -m pip install --quiet -r requirements-mutate.txt
	touch $(MUTATE_STAMP)

# Mutation testing of the safety core (mutmut); prints killed / equivalent / survived per module
# and exits 1 on a survivor that no recorded reason explains. Takes minutes.
mutate: $(MUTATE_STAMP)
	$(PY) scripts/mutate.py

$(BENCH_STAMP): requirements-bench.txt $(STAMP)
	$(PY) -m pip install --quiet -r requirements-bench.txt
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) -m bench.main $(BENCH_ARGS)

# The pictures in docs/pictures/, drawn from the synthesized templates and from runs on the emulator.
pictures: $(BENCH_STAMP) $(WHEELS) $(NODE_STAMP)
	$(PY) scripts/pictures.py

clean:
	rm -rf $(VENV) $(WHEELHOUSE) node_modules cdk.out cdk.out.org cdk.out.deploy .mutants-work .mypy_cache .ruff_cache .pytest_cache .hypothesis
