"""Runs in the China and GovCloud partitions: every call stays in the function's partition.

moto keys IAM and CloudFront by partition, and the emulator's DescribeRegions answers with the
caller's partition only (as AWS does), so a whole China or GovCloud account runs in-process.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders

from cert_cleanup import job
from cert_cleanup.aws.clients import AwsClients
from cert_cleanup.config.types import REGION_PATTERN, check_region_names
from cert_cleanup.errors import RunFailed
from emulator import aws_fakes, seed
from tests.support import ACCOUNT, FAST_RETRIES, SCHEDULED, Fake, summary_settings

pytestmark = pytest.mark.safety


class SignedFor:
    """Records (service, signing region) of every request a session signs."""

    def __init__(self, session: boto3.Session) -> None:
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        session.events.register("before-sign.*.*", self._record)

    def _record(self, signing_name: str = "", region_name: str = "", **_: Any) -> None:
        with self._lock:
            self.calls.append((signing_name, region_name))

    def regions(self) -> set[str]:
        return {region for _, region in self.calls}

    def services(self) -> set[str]:
        return {service for service, _ in self.calls}


def _account_in(region: str, aws: Fake) -> tuple[boto3.Session, AwsClients, SignedFor, Any]:
    del aws  # the in-process AWS is running; this session only works in another partition of it
    session = boto3.Session(region_name=region)
    signed = SignedFor(session)
    context = SimpleNamespace(
        invoked_function_arn=f"arn:{session.get_partition_for_region(region)}:lambda:{region}:{ACCOUNT}:function:cc",
        function_name="cc",
        memory_limit_in_mb=512,
        aws_request_id="r",
    )
    return session, AwsClients(session, FAST_RETRIES), signed, context


def _upload(session: boto3.Session, name: str, days: float, path: str = "/") -> dict[str, Any]:
    from datetime import UTC, datetime, timedelta

    return seed.upload(session.client("iam"), name, datetime.now(UTC) + timedelta(days=days), path=path)


def _actions(document: dict[str, Any]) -> dict[str, str]:
    return {row["name"]: row["action"] for row in document["certificates"]}


def _used_by(document: dict[str, Any]) -> dict[str, list[str]]:
    return {row["name"]: row["used_by"] for row in document["certificates"] if row["action"] == "in_use"}


def test_a_china_run_searches_chinas_cloudfront_and_stays_in_aws_cn(aws: Fake) -> None:
    # Given a China account: a distribution serving an IAM certificate, an ALB using another as an additional (SNI)
    # certificate, a Classic ELB using a third, and a fourth expired certificate nothing uses
    session, clients, signed, context = _account_in("cn-north-1", aws)
    cdn = _upload(session, "cdn", -30, path="/cloudfront/")
    seed.cloudfront_distribution(session, "china-cdn", cdn["ServerCertificateId"], region="cn-north-1")
    current = _upload(session, "current", 300)["Arn"]
    shop = _upload(session, "shop", -30)["Arn"]
    listener = seed.alb_with_certificates(session, "cn-northwest-1", "shop", current, [shop])
    legacy = _upload(session, "legacy", -30)["Arn"]
    seed.classic_elb(session, "cn-north-1", "legacy", legacy)
    _upload(session, "unused", -30)

    # When the function runs in cn-north-1, searching every region the account has
    document = job.handle(SCHEDULED, context, settings=summary_settings(session), clients=clients)

    # Then the search found each user in aws-cn: the certificates in use are kept, naming their users, and no
    # delete was tried for them (IAM's DeleteConflict is off in the emulator); only the unused one is deleted
    assert _actions(document) == {
        "cdn": "in_use",
        "current": "valid",
        "legacy": "in_use",
        "shop": "in_use",
        "unused": "deleted",
    }
    used_by = _used_by(document)
    assert used_by["shop"] == [listener]
    assert used_by["legacy"] == [f"arn:aws-cn:elasticloadbalancing:cn-north-1:{ACCOUNT}:loadbalancer/legacy"]
    [distribution] = used_by["cdn"]
    assert distribution.startswith(f"arn:aws-cn:cloudfront::{ACCOUNT}:distribution/")
    assert aws.deletes == ["unused"]
    assert document["regions"] == ["cn-north-1", "cn-northwest-1"]
    # And every call was signed for a China region: CloudFront for cn-northwest-1, its one endpoint
    assert signed.regions() <= {"cn-north-1", "cn-northwest-1"}
    assert ("cloudfront", "cn-northwest-1") in signed.calls
    assert not [item for item in document["skipped"] if item["service"] == "cloudfront"]


def test_a_govcloud_run_skips_cloudfront_with_its_reason_and_stays_in_aws_us_gov(aws: Fake) -> None:
    # Given a GovCloud account with one expired certificate nothing uses, one a Classic ELB uses and one the
    # default certificate of an ALB's HTTPS listener
    session, clients, signed, context = _account_in("us-gov-west-1", aws)
    _upload(session, "unused", -30)
    legacy = _upload(session, "legacy", -30)["Arn"]
    seed.classic_elb(session, "us-gov-east-1", "legacy", legacy)
    listener = seed.alb_with_certificates(session, "us-gov-west-1", "shop", _upload(session, "shop", -30)["Arn"], [])

    # When the function runs in us-gov-west-1
    document = job.handle(SCHEDULED, context, settings=summary_settings(session), clients=clients)

    # Then the unused certificate is deleted: CloudFront has no endpoint in this partition, so it is
    # skipped with its reason instead of failing every run closed. The search found the other two in use,
    # naming their users, and no delete was tried for them
    assert _actions(document) == {"legacy": "in_use", "shop": "in_use", "unused": "deleted"}
    assert _used_by(document) == {
        "legacy": [f"arn:aws-us-gov:elasticloadbalancing:us-gov-east-1:{ACCOUNT}:loadbalancer/legacy"],
        "shop": [listener],
    }
    assert aws.deletes == ["unused"]
    assert document["errors"] == []
    [cloudfront] = [item for item in document["skipped"] if item["service"] == "cloudfront"]
    assert cloudfront["region"] == "global"
    assert "no endpoint in partition aws-us-gov" in cloudfront["reason"]
    # And no call left GovCloud, and none went to CloudFront at all
    assert signed.regions() <= {"us-gov-west-1", "us-gov-east-1"}
    assert "cloudfront" not in signed.services()


def test_regions_of_another_partition_fail_the_run_closed_without_a_call_there(aws: Fake) -> None:
    # Given a China function whose DescribeRegions answer names a commercial region
    session, clients, signed, context = _account_in("cn-north-1", aws)
    _upload(session, "unused", -30)
    config = summary_settings(session)

    def listed(**_: Any) -> Any:
        regions = {"Regions": [{"RegionName": "cn-north-1"}, {"RegionName": "eu-west-1"}]}
        return AWSResponse("https://fake", 200, HTTPHeaders(), None), regions

    session.events.register("before-call.ec2.DescribeRegions", listed)

    # When it runs, the run fails closed: nothing deleted, the reason named, no call to eu-west-1
    with pytest.raises(RunFailed, match="RegionOutsidePartition"):
        job.handle(SCHEDULED, context, settings=config, clients=clients)
    assert aws.deletes == []
    assert {
        item["ServerCertificateName"]
        for item in session.client("iam").list_server_certificates()["ServerCertificateMetadataList"]
    } == {"unused"}
    assert "eu-west-1" not in signed.regions()


def test_services_not_offered_in_a_region_are_listed_and_summarised(aws: Fake) -> None:
    # Given a commercial run over every enabled region, two of them opt-in regions without AppSync
    aws.certificate("unused", days=-30)
    aws_fakes.SETTINGS.opted_in_regions.update({"mx-central-1", "ap-east-2"})

    document = job.handle(
        SCHEDULED,
        SimpleNamespace(invoked_function_arn=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:cc"),
        settings=summary_settings(aws.session),
        clients=aws.clients,
    )

    offered = set(boto3.Session().get_available_regions("appsync"))
    not_offered = sorted(set(document["regions"]) - offered)
    assert not_offered, "botocore lists AppSync in every region: pick another service for this test"
    skipped = sorted(item["region"] for item in document["skipped"] if item["service"] == "appsync")
    assert skipped == not_offered
    assert all(item["reason"] for item in document["skipped"])
    # And the summary says it in one line
    text = [line for line in _email(aws) if line.startswith("AppSync")]
    assert text == [f"AppSync is not offered in {len(not_offered)} of the {len(document['regions'])} regions searched."]


def _email(aws: Fake) -> list[str]:
    import json

    from moto.sns.models import sns_backends

    topic = next(iter(sns_backends[ACCOUNT]["us-east-1"].topics.values()))
    [sent] = topic.sent_notifications
    return str(json.loads(sent[1])["email"]).splitlines()


def test_region_names_of_every_partition_are_accepted() -> None:
    loader = botocore.session.get_session()
    regions = {
        region
        for partition in loader.get_available_partitions()
        for service in ("ec2", "elasticloadbalancing", "iam", "sts")
        for region in loader.get_available_regions(service, partition_name=partition)
    }
    assert "eusc-de-east-1" in regions
    rejected = sorted(region for region in regions if not REGION_PATTERN.fullmatch(region))
    assert rejected == []
    assert check_region_names(("eusc-de-east-1", "us-isob-east-1")) == ("eusc-de-east-1", "us-isob-east-1")
