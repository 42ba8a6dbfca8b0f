"""The run's fail-closed paths, one small account each: fast enough to run for every mutant of
``remediate.run`` and ``invocation.handle`` (``make mutate``).

The account: two expired, unused certificates, one expired and used by a Classic ELB in eu-west-1,
one valid. Only eu-west-1 is searched unless a test says otherwise.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import EndpointConnectionError

from cert_cleanup import invocation, observability, remediate
from cert_cleanup.errors import RunFailed
from cert_cleanup.models import DELETE_REFUSED, RunResult
from cert_cleanup.settings import Settings
from emulator import aws_fakes, seed
from tests.support import ACCOUNT, CONTEXT, SCHEDULED, Fake, summary_settings

REGION = "eu-west-1"
BUCKET = "archive-bucket"
UNUSED = {"unused-a", "unused-b"}
EVERY = {*UNUSED, "used", "valid"}


@pytest.fixture
def account(aws: Fake) -> Fake:
    for name in UNUSED:
        aws.certificate(name, days=-30)
    used = aws.certificate("used", days=-30)["Arn"]
    aws.certificate("valid", days=200)
    aws.user = seed.classic_elb(aws.session, REGION, "legacy", used)  # type: ignore[attr-defined]
    aws.count_calls()
    return aws


def _run(aws: Fake, *, dry_run: bool = False, **values: Any) -> RunResult:
    settings = Settings.build(**{"REGIONS": REGION, **values})
    return remediate.run(settings, aws.clients, remediate.RunOptions.create(ACCOUNT, dry_run=dry_run, run_id="r1"))


def _actions(result: RunResult) -> dict[str, str]:
    return {row.certificate.name: row.action.value for row in result.certificates}


def _deletes(aws: Fake) -> int:
    return aws.calls[("iam", "us-east-1", "DeleteServerCertificate")]


def _error(result: RunResult) -> tuple[str, str, str, str]:
    [error] = result.errors
    return error["service"], error["region"], error["operation"], error["code"]


# --- a complete proof deletes; anything less deletes nothing -----------------------------------


def test_a_complete_search_deletes_only_the_unused(account: Fake) -> None:
    result = _run(account)

    assert _actions(result) == {"unused-a": "deleted", "unused-b": "deleted", "used": "in_use", "valid": "valid"}
    [used] = [row for row in result.certificates if row.certificate.name == "used"]
    assert used.used_by == (account.user,)  # type: ignore[attr-defined]
    assert account.names_left() == {"used", "valid"}
    assert (result.run_id, result.account, result.regions) == ("r1", ACCOUNT, [REGION])
    assert result.errors == []
    assert {row.archived_to for row in result.certificates} == {None}  # no archive configured


def test_a_failed_listing_deletes_nothing_and_names_the_call(account: Fake) -> None:
    account.fail("iam", "ListServerCertificates", "AccessDenied", "not authorized")

    result = _run(account)

    assert result.certificates == []
    assert _error(result) == ("iam", "global", "ListServerCertificates", "AccessDenied")
    assert result.errors[0]["hint"]
    account.heal()
    assert account.names_left() == EVERY
    assert _deletes(account) == 0


def test_one_failed_tag_read_keeps_every_candidate(account: Fake) -> None:
    def fail_for_unused_a(params: dict[str, Any], **_: Any) -> Any:
        if params["body"].get("ServerCertificateName") == "unused-a":
            error = {"Error": {"Code": "ServiceFailure", "Message": "one certificate"}}
            return AWSResponse("https://fake", 500, HTTPHeaders(), None), error
        return None

    account.session.events.register("before-call.iam.ListServerCertificateTags", fail_for_unused_a)

    result = _run(account)

    assert _actions(result) == {
        "unused-a": "usage_unknown",
        "unused-b": "usage_unknown",
        "used": "in_use",
        "valid": "valid",
    }
    assert _error(result) == ("iam", "global", "ListServerCertificateTags", "ServiceFailure")
    assert account.names_left() == EVERY


def test_a_failed_region_listing_keeps_every_candidate_and_searches_nothing(account: Fake) -> None:
    account.fail("ec2", "DescribeRegions", "UnauthorizedOperation", "denied")

    result = _run(account, REGIONS="")

    assert _actions(result) == {
        "unused-a": "usage_unknown",
        "unused-b": "usage_unknown",
        "used": "usage_unknown",
        "valid": "valid",
    }
    assert _error(result) == ("ec2", "us-east-1", "DescribeRegions", "UnauthorizedOperation")
    assert result.regions == []
    assert account.calls_to("elb") == account.calls_to("elbv2") == account.calls_to("cloudfront") == 0
    assert account.names_left() == EVERY


def test_no_region_listed_proves_nothing(account: Fake) -> None:
    account.respond("ec2", "DescribeRegions", {"Regions": []})

    result = _run(account, REGIONS="")

    assert _error(result) == ("ec2", "us-east-1", "DescribeRegions", "NoRegions")
    assert result.errors[0]["message"] == "no enabled region was listed"
    assert set(_actions(result).values()) == {"usage_unknown", "valid"}
    assert account.names_left() == EVERY


def test_a_region_of_another_partition_is_never_called_and_proves_nothing(account: Fake) -> None:
    result = _run(account, REGIONS=f"{REGION},cn-north-1")

    assert _error(result) == ("cert-cleanup", "cn-north-1", "REGIONS", "RegionOutsidePartition")
    assert "cn-north-1 is in partition aws-cn, not aws" in result.errors[0]["message"]
    assert not [key for key in account.calls if key[1] != "us-east-1"]  # not even eu-west-1 was searched
    assert set(_actions(result).values()) == {"usage_unknown", "valid"}
    assert account.names_left() == EVERY


@pytest.mark.parametrize(
    ("service", "operation"),
    [
        ("elb", "DescribeLoadBalancers"),
        ("elbv2", "DescribeLoadBalancers"),
        ("appsync", "ListDomainNames"),
        ("cloudfront", "ListDistributions"),
    ],
)
def test_any_failed_usage_lookup_keeps_every_candidate(account: Fake, service: str, operation: str) -> None:
    account.fail(service, operation, "InternalFailure", "injected", status=500)

    result = _run(account)

    assert _actions(result)["unused-a"] == _actions(result)["unused-b"] == "usage_unknown"
    assert _error(result)[::2] == (service, operation)
    assert account.names_left() == EVERY
    assert _deletes(account) == 0


def test_the_search_reports_its_progress(account: Fake) -> None:
    seen: list[tuple[str, str, int, int]] = []
    settings = Settings.build(REGIONS=REGION)
    options = remediate.RunOptions.create(ACCOUNT, dry_run=True, on_progress=lambda *step: seen.append(step))

    remediate.run(settings, account.clients, options)

    # elb, elbv2 and appsync in eu-west-1, and CloudFront once: four tasks, each reported as it ends
    assert sorted(service for service, _, _, _ in seen) == ["appsync", "cloudfront", "elb", "elbv2"]
    assert [(done, total) for _, _, done, total in seen] == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_a_dry_run_deletes_nothing(account: Fake) -> None:
    result = _run(account, dry_run=True)

    assert _actions(result) == {
        "unused-a": "would_delete",
        "unused-b": "would_delete",
        "used": "in_use",
        "valid": "valid",
    }
    assert _deletes(account) == 0
    assert account.names_left() == EVERY


def test_an_exempt_certificate_is_kept(aws: Fake) -> None:
    aws.certificate("pinned", days=-30, tags={"cert-cleanup:exempt": "True"})
    assert _actions(_run(aws)) == {"pinned": "exempt"}
    assert aws.names_left() == {"pinned"}


# --- archive, then delete -----------------------------------------------------------------------


def test_archiving_reads_tags_and_material_in_one_call_then_writes_then_deletes(account: Fake) -> None:
    account.session.client("s3").create_bucket(Bucket=BUCKET)

    result = _run(account, ARCHIVE_BUCKET=BUCKET)

    # One GetServerCertificate per expired candidate replaces its tag read; one write per deletion
    assert account.calls[("iam", "us-east-1", "GetServerCertificate")] == 3
    assert account.calls[("iam", "us-east-1", "ListServerCertificateTags")] == 0
    assert account.calls[("s3", "us-east-1", "PutObject")] == 2
    assert account.names_left() == {"used", "valid"}
    for row in result.certificates:
        if row.certificate.name not in UNUSED:
            assert row.archived_to is None
            continue
        key = f"cert-cleanup/{ACCOUNT}/{row.certificate.name}/r1.json"
        assert row.archived_to == f"s3://{BUCKET}/{key}"
        document = json.loads(account.session.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read())
        assert (document["run_id"], document["account"], document["metadata"]["name"]) == (
            "r1",
            ACCOUNT,
            row.certificate.name,
        )
        assert document["certificate_body"].startswith("-----BEGIN CERTIFICATE-----")
        assert document["evidence"] == {
            "decision": row.reason,
            "used_by": [],
            "lookups_complete": True,
            "regions_searched": [REGION],
            "services_searched": ["elb", "elbv2", "appsync", "cloudfront"],
        }


def test_a_failed_archive_write_keeps_the_certificate(account: Fake) -> None:
    account.session.client("s3").create_bucket(Bucket=BUCKET)
    account.fail("s3", "PutObject", "AccessDenied", "denied")

    result = _run(account, ARCHIVE_BUCKET=BUCKET)

    for row in result.certificates:
        if row.certificate.name in UNUSED:
            assert (row.action.value, row.reason) == ("failed", "not deleted: archive failed (AccessDenied: denied)")
    assert _deletes(account) == 0
    assert account.names_left() == EVERY


def _archive_settings(aws: Fake, archive: bool) -> dict[str, Any]:
    if not archive:
        return {}
    aws.session.client("s3").create_bucket(Bucket=BUCKET)
    return {"ARCHIVE_BUCKET": BUCKET}


def _archived_to(archive: bool, name: str) -> str | None:
    return f"s3://{BUCKET}/cert-cleanup/{ACCOUNT}/{name}/r1.json" if archive else None


@pytest.mark.parametrize("archive", [False, True], ids=["no-archive", "archive"])
def test_a_delete_iam_refuses_is_in_use_naming_the_user_iam_names(aws: Fake, archive: bool) -> None:
    aws.certificate("hidden", days=-30)
    user = f"arn:aws:elasticloadbalancing:eu-west-2:{ACCOUNT}:loadbalancer/edge-X"
    aws_fakes.SETTINGS.delete_conflicts["hidden"] = user

    [row] = _run(aws, **_archive_settings(aws, archive)).certificates

    assert (row.certificate.name, row.action.value, row.used_by) == ("hidden", "in_use", (user,))
    assert row.reason.startswith(f"{DELETE_REFUSED}: Certificate: ")
    assert f"is currently in use by {user}. Please remove it first" in row.reason
    assert row.archived_to == _archived_to(archive, "hidden")  # the archive written just before stays named
    assert aws.names_left() == {"hidden"}


@pytest.mark.parametrize("archive", [False, True], ids=["no-archive", "archive"])
@pytest.mark.parametrize(
    ("code", "status", "action", "reason"),
    [
        ("NoSuchEntity", 404, "deleted", "already deleted (NoSuchEntity)"),
        ("ServiceFailure", 500, "failed", "delete failed (ServiceFailure: try later)"),
    ],
)
def test_what_a_failed_delete_means(aws: Fake, code: str, status: int, action: str, reason: str, archive: bool) -> None:
    aws.certificate("old", days=-30)
    settings = _archive_settings(aws, archive)
    aws.fail("iam", "DeleteServerCertificate", code, "try later", status=status)

    [row] = _run(aws, **settings).certificates

    assert (row.certificate.name, row.action.value, row.reason) == ("old", action, reason)
    assert row.archived_to == _archived_to(archive, "old")


@pytest.mark.parametrize("archive", [False, True], ids=["no-archive", "archive"])
def test_a_delete_that_never_reached_iam_is_a_failure(aws: Fake, archive: bool) -> None:
    aws.certificate("old", days=-30)
    settings = _archive_settings(aws, archive)

    def refuse(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://iam.amazonaws.com")

    aws.session.events.register("before-send.iam.DeleteServerCertificate", refuse)

    [row] = _run(aws, **settings).certificates

    assert (row.certificate.name, row.action.value) == ("old", "failed")
    assert row.reason.startswith("delete failed (EndpointConnectionError: ")
    assert row.archived_to == _archived_to(archive, "old")
    assert aws.names_left() == {"old"}


# --- the invocation ------------------------------------------------------------------------------


def _handle(aws: Fake, event: object = SCHEDULED, **values: Any) -> dict[str, Any]:
    return invocation.handle(
        event, CONTEXT, settings=summary_settings(aws.session, REGIONS=REGION, **values), clients=aws.clients
    )


@pytest.mark.parametrize("event", [SCHEDULED, {}, {"dry_run": False}])
def test_no_event_makes_a_dry_run_deployment_delete(account: Fake, event: object) -> None:
    document = _handle(account, event, DRY_RUN="true")
    assert document["dry_run"] is True
    assert _deletes(account) == 0


def test_a_manual_dry_run_request_deletes_nothing(account: Fake) -> None:
    document = _handle(account, {"dry_run": True})
    assert document["dry_run"] is True
    assert _deletes(account) == 0


def test_a_run_with_a_failure_publishes_then_fails_the_invocation(account: Fake) -> None:
    account.fail("elb", "DescribeLoadBalancers", "AccessDenied", "denied")

    with pytest.raises(RunFailed, match="1 failed call\\(s\\), first: elb DescribeLoadBalancers in eu-west-1"):
        _handle(account)

    assert account.calls[("sns", "us-east-1", "Publish")] == 1
    assert account.names_left() == EVERY


def test_a_failed_publish_fails_the_invocation_and_the_log_says_why(
    account: Fake, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(observability.logger, "error", lambda message, **fields: errors.append((message, fields)))
    account.fail("sns", "Publish", "AuthorizationError", "not allowed", status=403)

    with pytest.raises(RunFailed, match="first: sns Publish in us-east-1: AuthorizationError"):
        _handle(account)

    # Nothing was published, so the function's log is the only place that says why
    [logged] = [fields["extra"] for message, fields in errors if message == "summary not published"]
    assert logged == {
        "service": "sns",
        "region": "us-east-1",
        "operation": "Publish",
        "code": "AuthorizationError",
        "error_message": "not allowed",
    }


def test_a_clean_run_returns_its_document(account: Fake) -> None:
    account.iam.create_account_alias(AccountAlias="shop-prod")
    now = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)

    document = invocation.handle(
        SCHEDULED,
        CONTEXT,
        settings=summary_settings(account.session, REGIONS=REGION, READ_ACCOUNT_ALIAS="true"),
        clients=account.clients,
        now=now,
    )

    assert (document["account"], document["account_label"]) == (ACCOUNT, "shop-prod")
    assert document["started_at"] == now.isoformat()
    assert document["counts"]["deleted"] == 2
    assert document["dry_run"] is False
    assert document["told_because"]  # deletions are told to people


def test_a_run_started_by_hand_is_told_to_people_and_a_quiet_scheduled_one_is_not(aws: Fake) -> None:
    aws.certificate("valid", days=200)
    aws.iam.create_account_alias(AccountAlias="shop-prod")  # not read: READ_ACCOUNT_ALIAS is off
    aws.count_calls()

    assert _handle(aws, {})["told_because"] == ["the run was started by hand"]
    quiet = _handle(aws, SCHEDULED)

    assert quiet["told_because"] == []
    assert quiet["account_label"] is None
    assert aws.calls_to("sts") == 0  # the account comes from the function's own ARN
    assert aws.calls[("iam", "us-east-1", "ListAccountAliases")] == 0


def test_outside_lambda_the_account_comes_from_sts(aws: Fake) -> None:
    aws.certificate("valid", days=200)
    settings = summary_settings(aws.session, REGIONS=REGION)
    document = invocation.handle(SCHEDULED, SimpleNamespace(), settings=settings, clients=aws.clients)
    assert document["account"] == ACCOUNT


def test_the_summary_is_published_in_the_topic_region(account: Fake) -> None:
    topic = account.session.client("sns", region_name="ap-southeast-2").create_topic(Name="t")["TopicArn"]
    settings = Settings.build(SNS_TOPIC_ARN=topic, REGIONS=REGION)

    invocation.handle(SCHEDULED, CONTEXT, settings=settings, clients=account.clients)

    assert account.calls[("sns", "ap-southeast-2", "Publish")] == 1


# --- the usage search overlaps the tag reads -------------------------------------------------------


def test_the_usage_search_starts_while_tags_are_still_being_read(account: Fake) -> None:
    # Given a tag read that waits (up to 10 s) for the usage search to make its first call
    searching = threading.Event()
    overlapped: list[bool] = []
    account.session.events.register("before-call.elastic-load-balancing.*", lambda **_: searching.set())

    def slow_tags(params: dict[str, Any], **_: Any) -> None:
        if params["body"].get("ServerCertificateName") == "unused-b":
            overlapped.append(searching.wait(timeout=10))

    account.session.events.register("before-call.iam.ListServerCertificateTags", slow_tags)

    # When the run reads tags, Then the search has started before that tag read ended, and the run is whole
    result = _run(account)
    assert overlapped == [True]
    assert _actions(result)["unused-a"] == "deleted"


def test_an_account_whose_expired_certificates_are_all_exempt_is_never_searched(aws: Fake) -> None:
    for name in ("pinned-a", "pinned-b"):
        aws.certificate(name, days=-30, tags={"cert-cleanup:exempt": "true"})
    aws.count_calls()

    assert _actions(_run(aws)) == {"pinned-a": "exempt", "pinned-b": "exempt"}
    assert {service for service, _, _ in aws.calls} == {"iam"}
