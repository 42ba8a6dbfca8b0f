#!/usr/bin/env python3
"""CDK app: `make synth`, `make deploy`, `make destroy` (see the README's Deploy section)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lambda"))

import aws_cdk as cdk

from infra import nag
from infra.config import ContextError, DeployConfig
from infra.stack import CertCleanupStack

STACK_NAME = "CertCleanup"


def build(app: cdk.App) -> CertCleanupStack:
    config = DeployConfig.from_context(app.node)
    stack = CertCleanupStack(
        app,
        STACK_NAME,
        config=config,
        env=cdk.Environment(account=os.getenv("CDK_DEFAULT_ACCOUNT"), region=os.getenv("CDK_DEFAULT_REGION")),
    )
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
