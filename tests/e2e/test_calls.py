"""Over HTTP, counted at the emulator: the run makes the calls it needs and no more, a few at a time."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from cert_cleanup import job
from cert_cleanup.aws.clients import MAX_IN_FLIGHT, AwsClients
from cert_cleanup.config.settings import Settings
from emulator.process import Emulator
from emulator.seed import alb_with_certificates, deployed_function, upload
from tests.support import CONTEXT, SCHEDULED


def operations(report: dict[str, object]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for service, _region, operation, count in report["calls"]:  # type: ignore[attr-defined]
        counts[f"{service}:{operation}"] += count
    return counts


@pytest.fixture
def account(emulator: Emulator) -> tuple[str, list[str]]:
    """20 ALBs in eu-west-1, each with an HTTP and an HTTPS listener; 3 expired unused certificates."""
    session = boto3.Session(region_name="us-east-1")
    deployed_function(session)
    iam = session.client("iam")
    now = datetime.now(UTC)
    valid = upload(iam, "valid", now + timedelta(days=300))["Arn"]
    expired = [upload(iam, f"old-{index}", now - timedelta(days=10))["ServerCertificateName"] for index in range(3)]
    for index in range(20):
        alb_with_certificates(session, "eu-west-1", f"lb-{index:02d}", valid, [])
    topic = session.client("sns").create_topic(Name="t")["TopicArn"]
    return topic, expired


def test_calls_are_the_minimum_and_in_flight_calls_are_bounded(
    emulator: Emulator, account: tuple[str, list[str]]
) -> None:
    topic, expired = account
    emulator.latency(20)
    emulator.reset_calls()
    config = Settings.build(SNS_TOPIC_ARN=topic)

    result = job.handle(SCHEDULED, CONTEXT, settings=config, clients=AwsClients())

    assert sorted(row["name"] for row in result["certificates"] if row["action"] == "deleted") == expired
    report = emulator.calls()
    regions = len(result["regions"])
    appsync = regions - sum(1 for item in result["skipped"] if item["service"] == "appsync")
    assert operations(report) == {
        "iam:ListServerCertificates": 1,
        "iam:ListServerCertificateTags": 3,  # only the expired ones
        "ec2:DescribeRegions": 1,
        "elasticloadbalancing:DescribeLoadBalancers": regions,  # one page per region searched
        "elasticloadbalancingv2:DescribeLoadBalancers": regions,
        "elasticloadbalancingv2:DescribeListeners": 20,  # one per load balancer
        "elasticloadbalancingv2:DescribeListenerCertificates": 20,  # one per HTTPS listener
        "appsync:ListDomainNames": appsync,
        "cloudfront:ListDistributions": 1,
        "iam:GetServerCertificate": 3,  # right before each delete: the name still holds the certificate listed
        "iam:DeleteServerCertificate": 3,
        "lambda:GetFunctionConfiguration": 1,  # a scheduled run: was the function just deployed?
        "sns:Publish": 1,
        "config:DescribeConfigRules": 1,  # after a deletion: IAM.26's rule (none here, so nothing to start)
        "securityhub:GetFindings": 1,  # after a real run: the account's IAM.26 finding (Security Hub is off here)
        "securityhub:DescribeSecurityHubV2": 1,  # is the new Security Hub (OCSF) in use? Not here: no GetFindingsV2
    }
    busiest = max(count for _service, _region, count in report["max_in_flight"])
    assert busiest <= MAX_IN_FLIGHT
    v2 = {region: count for service, region, count in report["max_in_flight"] if service == "elasticloadbalancingv2"}
    assert v2["eu-west-1"] > 1  # the listener calls did overlap
