from __future__ import annotations

import os

import pytest

# moto builds ~1300 default AMIs (with snapshots) for each region whose EC2 backend a test touches;
# nothing here uses AMIs, and skipping them halves the cost of a small test.
os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
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
