"""End to end: the real handler and command-line tool against the emulator over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from botocore.config import Config

from cert_cleanup import job
from cert_cleanup.aws.clients import AwsClients
from cert_cleanup.config.settings import Settings
from cert_cleanup.errors import RunFailed
from cert_cleanup.handler import lambda_handler
from emulator.process import Emulator
from emulator.seed import SeededAccount, seed_demo_account, upload
from tests.support import CONTEXT, SCHEDULED


@pytest.fixture
def demo_account(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[SeededAccount]:
    seeded = seed_demo_account(boto3.Session(region_name="us-east-1"), datetime.now(UTC))
    monkeypatch.setenv("SNS_TOPIC_ARN", seeded.topic_arn)
    monkeypatch.setenv("ARCHIVE_BUCKET", seeded.bucket)
    monkeypatch.setenv("LEASE_TABLE", seeded.lease_table)
    job.lambda_settings.cache_clear()
    job.default_clients.cache_clear()
    yield seeded
    job.lambda_settings.cache_clear()
    job.default_clients.cache_clear()


def names_left() -> set[str]:
    iam = boto3.client("iam")
    return {item["ServerCertificateName"] for item in iam.list_server_certificates()["ServerCertificateMetadataList"]}


def test_handler_deletes_only_the_unused_expired_certificate(emulator: Emulator, demo_account: SeededAccount) -> None:
    # When the scheduled run happens against the emulator, searching every enabled region
    result = lambda_handler(SCHEDULED, CONTEXT)

    # Then only the expired, unused certificate is gone; the additional (SNI) one in eu-west-1 stays
    actions = {row["name"]: row["action"] for row in result["certificates"]}
    named = demo_account.named
    assert actions == {
        named["unused"]: "deleted",
        named["sni"]: "in_use",
        named["listener_default"]: "valid",
        named["cloudfront"]: "in_use",
        named["exempt"]: "exempt",
        named["expiring"]: "expiring_soon",
        named["appsync"]: "valid",
    }
    assert names_left() == set(demo_account.certificates) - {named["unused"]}
    # every region of the commercial partition the emulator reports (moto also knows China and
    # GovCloud regions; like AWS, the emulator lists only the caller's partition)
    assert len(result["regions"]) == 20
    assert not [region for region in result["regions"] if region.startswith(("cn-", "us-gov-"))]

    # And the archive and the published summary are where they should be
    archived = boto3.client("s3").list_objects_v2(Bucket=demo_account.bucket)["Contents"]
    assert [obj["Key"] for obj in archived] == [f"cert-cleanup/123456789012/{named['unused']}/{result['run_id']}.json"]
    [sent] = emulator.sns_messages(demo_account.topic_arn)
    assert sent["subject"] == (
        "INCIDENT: cert-cleanup 123456789012: 2 expired certificates in use, 1 deleted, 1 expiring soon"
    )
    message = json.loads(sent["message"])
    assert f"Deleted (1):\n  - {named['unused']}" in message["email"]
    assert json.loads(message["https"])["run_id"] == result["run_id"]


def test_unreachable_service_fails_closed(emulator: Emulator, demo_account: SeededAccount) -> None:
    # Given ELBv2 cannot be reached (nothing listens on the port it is pointed at)
    os.environ["AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2"] = "http://127.0.0.1:9"
    try:
        clients = AwsClients(
            boto3.Session(region_name="us-east-1"), Config(retries={"mode": "standard", "max_attempts": 2})
        )
        config = Settings.build(SNS_TOPIC_ARN=demo_account.topic_arn)

        # When the run happens, Then it fails, deletes nothing and says which lookups failed
        with pytest.raises(RunFailed, match="EndpointConnectionError"):
            job.handle(SCHEDULED, CONTEXT, settings=config, clients=clients)
    finally:
        del os.environ["AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2"]
    assert names_left() == set(demo_account.certificates)
    [sent] = emulator.sns_messages(demo_account.topic_arn)
    machine = json.loads(json.loads(sent["message"])["sqs"])
    actions = {row["name"]: row["action"] for row in machine["certificates"]}
    assert actions[demo_account.named["unused"]] == "usage_unknown"
    assert {(e["service"], e["code"]) for e in machine["errors"]} == {("elbv2", "EndpointConnectionError")}
    assert len(machine["errors"]) == len(machine["regions"]) == 20  # one per enabled region, each named


def test_short_iam_pages_over_http(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    iam = boto3.client("iam")
    now = datetime.now(UTC)
    for index in range(7):
        upload(iam, f"old-{index}", now.replace(year=now.year - 1))
    emulator.settings(iam_page_cap=2)
    topic = boto3.client("sns").create_topic(Name="t")["TopicArn"]
    config = Settings.build(SNS_TOPIC_ARN=topic)

    result = job.handle(SCHEDULED, CONTEXT, settings=config, clients=AwsClients())

    assert sorted(row["name"] for row in result["certificates"]) == [f"old-{index}" for index in range(7)]
    assert names_left() == set()


def test_command_line_scan_uses_the_endpoint_from_the_environment(
    emulator: Emulator, demo_account: SeededAccount
) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "cert_cleanup_cli.commands", "scan", "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        timeout=120,
        check=False,
    )
    assert completed.returncode == 4, completed.stderr  # expired certificates remain: would delete, in use, exempt
    document = json.loads(completed.stdout)
    actions = {row["name"]: row["action"] for row in document["certificates"]}
    assert actions[demo_account.named["unused"]] == "would_delete"
    assert actions[demo_account.named["sni"]] == "in_use"
    assert names_left() == set(demo_account.certificates)
