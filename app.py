#!/usr/bin/env python3
"""CDK app: `make synth`/`deploy`/`destroy`, and with `-c mode=organization` the organization rollout."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lambda"))

from infra.node_runtime import notice_old_node

notice_old_node()  # before aws_cdk starts Node.js

import aws_cdk as cdk  # noqa: E402

from infra import nag  # noqa: E402
from infra.components.security_hub import FindingsRelayStack  # noqa: E402
from infra.config import ContextError, DeployConfig, refuse_unavailable  # noqa: E402
from infra.organization import OrganizationStack  # noqa: E402
from infra.stack import CertCleanupStack  # noqa: E402

STACK_NAME = "CertCleanup"
ORGANIZATION_STACK_NAME = "CertCleanupOrganization"


def build(app: cdk.App) -> cdk.Stack:
    """The single-account stack, or with ``-c mode=organization`` the organization stack."""
    config = DeployConfig.from_context(app.node)
    # `cdk deploy` with credentials sets CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION. Only the region is
    # pinned (the organization stack must live in the members' region). The account is left to
    # CloudFormation: the template says ${AWS::AccountId}, so it is the same whoever synthesizes it.
    region = os.getenv("CDK_DEFAULT_REGION")
    stack: cdk.Stack
    if config.mode == "organization":
        if config.member_region is None and region is None:
            raise ContextError(
                "invalid CDK context: context 'memberRegion': required when no default region is configured"
            )
        # The organization stack lives in the members' region (their code bucket and the topic they publish to).
        env = cdk.Environment(region=config.member_region or region)
        stack = OrganizationStack(app, ORGANIZATION_STACK_NAME, config=config, env=env)
    else:
        refuse_unavailable(config, region)
        stack = CertCleanupStack(app, STACK_NAME, config=config, env=cdk.Environment(region=region))
        triggers = stack.security_hub
        if triggers is not None and triggers.relay_region and region:
            # IAM.26's findings appear in another region than the function's: their rules live there
            # (infra/components/security_hub.py). `cdk deploy --all` deploys both stacks.
            relay = FindingsRelayStack(
                app,
                f"{STACK_NAME}Findings",
                function_region=region,
                findings=config.findings_start_runs,
                custom_action=config.security_hub_custom_action,
                action_id=triggers.action_id,
                env=cdk.Environment(region=triggers.relay_region),
            )
            relay.add_stack_dependency(stack)
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
