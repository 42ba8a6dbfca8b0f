#!/usr/bin/env python3
"""CDK app: `make synth`/`deploy`/`destroy`, and with `-c mode=organization` the organization rollout."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lambda"))

import aws_cdk as cdk

from infra import nag
from infra.config import ContextError, DeployConfig
from infra.organization import OrganizationStack
from infra.stack import CertCleanupStack

STACK_NAME = "CertCleanup"
ORGANIZATION_STACK_NAME = "CertCleanupOrganization"


def build(app: cdk.App) -> cdk.Stack:
    """The single-account stack, or with ``-c mode=organization`` the organization stack."""
    config = DeployConfig.from_context(app.node)
    region = os.getenv("CDK_DEFAULT_REGION")
    account = os.getenv("CDK_DEFAULT_ACCOUNT")
    stack: cdk.Stack
    if config.mode == "organization":
        if config.member_region is None and region is None:
            raise ContextError(
                "invalid CDK context: context 'memberRegion': required when no default region is configured"
            )
        # The organization stack lives in the members' region (their code bucket and the topic they publish to).
        env = cdk.Environment(account=account, region=config.member_region or region)
        stack = OrganizationStack(app, ORGANIZATION_STACK_NAME, config=config, env=env)
        nag.apply_organization(stack)
    else:
        stack = CertCleanupStack(app, STACK_NAME, config=config, env=cdk.Environment(account=account, region=region))
    nag.apply(app)
    return stack


def main() -> None:
    app = cdk.App()
    try:
        build(app)
    except ContextError as exc:
        sys.exit(f"error: {exc}")
    app.synth()


if __name__ == "__main__":
    main()
