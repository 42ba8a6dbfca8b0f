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

# Example organization for an offline `make synth-org` only: deploy-org and destroy-org take yours, in ORG_ARGS
# or CDK_ARGS (memberRegion defaults to the region you deploy in).
EXAMPLE_ORG := -c organizationId=o-exampleorg1 -c organizationalUnitIds=ou-abcd-11111111
ORG_ARGS ?=
# Example subscriber for an offline synth: a stack that deletes must tell someone.
EXAMPLE_EMAIL := -c notificationEmails=secops@example.com
# `cdk deploy` gives the app CDK_DEFAULT_REGION from AWS_REGION, AWS_DEFAULT_REGION or the profile (it overwrites
# an exported CDK_DEFAULT_REGION): `make test` synthesizes both apps with AWS_REGION set to a region of each
# partition, and checks each manifest says that region (and without it: synth, synth-org).
DEPLOY_REGIONS := us-east-1 cn-north-1 us-gov-west-1
EXAMPLE_ACCOUNT := 111122223333

.PHONY: help install wheelhouse lock mutate pictures demo try-cli test lint typecheck unit e2e infra-test synth synth-org synth-as-deploy deploy deploy-org destroy destroy-org check-org-args bench clean

# Every target of .PHONY is listed here (tests/unit/test_makefile.py checks it).
help:
	@echo "make demo            - run cert-cleanup against a local AWS emulator (dry run, real run, 14 days, a digest)"
	@echo "make try-cli         - the command line (cert-cleanup scan, then run) against the emulator's demo account"
	@echo "make test            - lint, typecheck, unit, e2e, infra-test, then synth, synth-org and synth-as-deploy"
	@echo "make install         - create .venv with the pinned Python dependencies (every target does it first)"
	@echo "make lint            - ruff check and ruff format --check"
	@echo "make typecheck       - mypy (strict)"
	@echo "make unit            - unit tests (in-process moto, no network)"
	@echo "make e2e             - end-to-end tests over HTTP against the emulator on 127.0.0.1"
	@echo "make infra-test      - stack tests (CDK assertions, cdk-nag)"
	@echo "make synth           - synthesize the CloudFormation template (no AWS credentials needed) + cfn-lint"
	@echo "make synth-org       - the same for the organization rollout, with an example organization"
	@echo "make synth-as-deploy - both apps as cdk deploy synthesizes them in us-east-1, cn-north-1, us-gov-west-1"
	@echo "make deploy          - cdk deploy with your AWS credentials (CDK_ARGS='-c notificationEmails=you@example.com')"
	@echo "make destroy         - remove the stack (the archive bucket is kept)"
	@echo "make deploy-org      - the organization rollout (ORG_ARGS='-c organizationId=o-... -c organizationalUnitIds=ou-...')"
	@echo "make destroy-org     - remove the organization rollout (the same ORG_ARGS)"
	@echo "make check-org-args  - what deploy-org and destroy-org check first: ORG_ARGS names your organization"
	@echo "make wheelhouse      - download the function's pinned Linux wheels, checked by hash (synth does it itself)"
	@echo "make lock            - after changing lambda/requirements.txt: write the wheels' hashes to lambda/requirements.lock"
	@echo "make bench           - quota-scale benchmark on the emulator; writes docs/benchmarks.md (takes minutes)"
	@echo "make pictures        - docs/pictures/: the architecture from the templates, the email, chat and dashboard"
	@echo "make mutate          - mutation testing of the safety core (mutmut), a report per module (takes minutes)"
	@echo "make clean           - remove .venv, node_modules, the wheels and every synth output"
	@echo "docs/                - how it works, configuration, deploy, organization, command line, benchmarks"

$(STAMP): requirements.txt requirements-dev.txt lambda/requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	# setuptools warns on every editable install of packages outside the root (lambda/, cli/) that a folder of the
	# working directory named like a package could shadow it; none is (tests/unit/test_makefile.py checks).
	PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install --quiet --no-deps -e .
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

# The command line against the emulator's demo account (docs/cli.md): a scan, then a run that asks first.
try-cli: $(STAMP)
	$(PY) scripts/try_cli.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP)
	$(PY) -m pytest tests/unit

e2e: $(STAMP)
	$(PY) -m pytest tests/e2e

infra-test: $(STAMP) $(WHEELS) $(NODE_STAMP)
	$(PY) -m pytest tests/infra

# cdk-nag runs inside synth: an unacknowledged finding fails it. cfn-lint then checks the template;
# W3005 (a DependsOn that CDK itself generates next to a GetAtt) is the one check ignored.
synth: $(STAMP) $(WHEELS) $(NODE_STAMP)
	$(CDK) synth --quiet $(if $(CDK_ARGS),$(CDK_ARGS),$(EXAMPLE_EMAIL))
	$(VENV)/bin/cfn-lint --ignore-checks W3005 -- cdk.out/*.template.json

synth-org: $(STAMP) $(WHEELS) $(NODE_STAMP)
	$(CDK) synth --quiet -o cdk.out.org -c mode=organization $(if $(ORG_ARGS),$(ORG_ARGS),$(EXAMPLE_ORG) -c memberRegion=us-east-1) $(if $(CDK_ARGS),$(CDK_ARGS),$(EXAMPLE_EMAIL))
	$(VENV)/bin/cfn-lint --ignore-checks W3005 -- cdk.out.org/*.template.json

# Both apps as `cdk deploy` synthesizes them in a region of each partition: AWS_REGION is what the CDK CLI reads
# (it sets CDK_DEFAULT_REGION itself). infra.manifest then fails unless every stack of the cloud assembly is
# pinned to that region; cfn-lint checks each template against that region's resource types.
synth-as-deploy: $(STAMP) $(WHEELS) $(NODE_STAMP)
	@set -e; export $(NODE_NOTICE_ONCE); for region in $(DEPLOY_REGIONS); do \
	  echo "synth as cdk deploy in $$region (AWS_REGION=$$region)"; \
	  export AWS_REGION=$$region; unset AWS_DEFAULT_REGION AWS_PROFILE CDK_DEFAULT_REGION; \
	  $(CDK) synth --quiet -o cdk.out.deploy/$$region/account $(EXAMPLE_EMAIL); \
	  $(CDK) synth --quiet -o cdk.out.deploy/$$region/organization -c mode=organization $(EXAMPLE_ORG) $(EXAMPLE_EMAIL); \
	  $(PY) -m infra.manifest --region $$region cdk.out.deploy/$$region/account cdk.out.deploy/$$region/organization; \
	  $(VENV)/bin/cfn-lint --regions $$region --ignore-checks W3005 -- cdk.out.deploy/$$region/*/*.template.json; \
	done

# The organization targets take your organization, never an example: they stop first, naming what is missing.
check-org-args:
	@missing=""; for key in organizationId organizationalUnitIds; do \
	  case " $(ORG_ARGS) $(CDK_ARGS) " in *"$$key="*) ;; *) missing="$$missing $$key";; esac; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "error: deploy-org and destroy-org need your organization; missing:$$missing. Give them in ORG_ARGS:" >&2; \
	  echo "  make deploy-org ORG_ARGS='-c organizationId=o-a1b2c3d4e5 -c organizationalUnitIds=ou-ab12-11111111 -c notificationEmails=secops@example.com'" >&2; \
	  echo "  (memberRegion defaults to the region you deploy in; see docs/organization.md)" >&2; \
	  exit 2; \
	fi

deploy-org: check-org-args $(STAMP) $(WHEELS) $(NODE_STAMP)
	$(CDK) deploy -c mode=organization $(ORG_ARGS) $(CDK_ARGS)

destroy-org: check-org-args $(STAMP) $(NODE_STAMP)
	$(CDK) destroy -c mode=organization $(ORG_ARGS) $(CDK_ARGS)

# --all: a stack outside us-east-1 (cn-north-1) comes with CertCleanupFindings there (docs/deploy.md).
deploy: $(STAMP) $(WHEELS) $(NODE_STAMP)
	$(CDK) deploy --all $(CDK_ARGS)

destroy: $(STAMP) $(NODE_STAMP)
	$(CDK) destroy --all $(CDK_ARGS)

# The Node.js end-of-life notice once for the eight synths (the app says it when Node.js is old, unless silenced).
NODE_NOTICE_ONCE = JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="$$($(PY) -m infra.node_runtime)"

test: lint typecheck $(WHEELS) $(NODE_STAMP)
	@set -e; export $(NODE_NOTICE_ONCE); \
	$(PY) -m pytest tests; \
	$(MAKE) --no-print-directory synth; \
	$(MAKE) --no-print-directory synth-org; \
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
