from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

# moto builds ~1300 default AMIs (with snapshots) for each region whose EC2 backend a test touches;
# nothing here uses AMIs, and skipping them halves the cost of a small test.
os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
# The CDK CLI gives the app cdk.json's context (the feature flags `cdk init` sets) through CDK_CONTEXT_JSON: stack
# tests that build the app in-process get the same, before aws_cdk starts its Node.js process, so they check the
# templates a deploy makes. Context a test passes to cdk.App is read first; cdk.json's keys are all feature flags.
CDK_JSON = Path(__file__).resolve().parents[1] / "cdk.json"
os.environ.setdefault("CDK_CONTEXT_JSON", json.dumps(json.loads(CDK_JSON.read_text())["context"]))
# The tests run on whatever Node.js the machine has; the CDK app itself says when it is past end of life.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@pytest.fixture(autouse=True)
def _dummy_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never reach a real account: dummy credentials, no profile, no endpoint override."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "SNS_TOPIC_ARN", "DRY_RUN", "REGIONS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
