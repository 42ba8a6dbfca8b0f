"""The run's fail-closed paths, one test per guarantee, one small account each: fast enough to run for every
mutant of ``run.cleanup`` and ``job.handle`` (``make mutate``).

The account: two expired, unused certificates, one expired and used by a Classic ELB in eu-west-1, one valid
and the default certificate of an ALB's HTTPS listener there. Every region enabled for the account is searched,
as in every run that may delete.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import EndpointConnectionError

from cert_cleanup import job, run
from cert_cleanup.aws import deployment
from cert_cleanup.config import observability
from cert_cleanup.config.settings import Settings
from cert_cleanup.errors import RunFailed
from cert_cleanup.models import DELETE_REFUSED, DeleteAnswer, RunResult, Searched, Skipped
from cert_cleanup.usage.search import NOT_ENABLED
from cert_cleanup.wording import plural
from emulator import aws_fakes, seed
from tests.support import ACCOUNT, CONTEXT, SCHEDULED, Fake, summary_settings

pytestmark = pytest.mark.safety

REGION = "eu-west-1"
BUCKET = "archive-bucket"
UNUSED = {"unused-a", "unused-b"}
EVERY = {*UNUSED, "used", "valid"}


@pytest.fixture
def account(aws: Fake) -> Fake:
    for name in UNUSED:
        aws.certificate(name, days=-30)
    used = aws.certificate("used", days=-30)["Arn"]
    valid = aws.certificate("valid", days=200)["Arn"]
    aws.user = seed.classic_elb(aws.session, REGION, "legacy", used)  # type: ignore[attr-defined]
    seed.alb_with_certificates(aws.session, REGION, "shop", valid, [])  # an HTTPS listener: listener lookups run
    aws.count_calls()
    return aws


def _run(
    aws: Fake,
    *,
    dry_run: bool = False,
    regions: tuple[str, ...] | None = None,
    approved: frozenset[str] | None = None,
    **values: Any,
) -> RunResult:
    settings = Settings.build(**values)
    options = run.RunOptions.create(ACCOUNT, dry_run=dry_run, run_id="r1", regions=regions, approved=approved)
    return run.cleanup(settings, aws.clients, options)


def _enabled(aws: Fake) -> list[str]:
    regions = aws.session.client("ec2").describe_regions()["Regions"]
    return sorted(region["RegionName"] for region in regions)


def _actions(result: RunResult) -> dict[str, str]:
    return {row.certificate.name: row.action.value for row in result.certificates}


def _deletes(aws: Fake) -> int:
    return aws.calls[("iam", "us-east-1", "DeleteServerCertificate")]


def _error(result: RunResult) -> tuple[str, str, str, str]:
    [error] = result.errors
    return error.service, error.region, error.operation, error.code


# --- a complete proof deletes; anything less deletes nothing -----------------------------------


def test_a_complete_search_deletes_only_the_unused(account: Fake) -> None:
    result = _run(account)

    assert _actions(result) == {"unused-a": "deleted", "unused-b": "deleted", "used": "in_use", "valid": "valid"}
    [used] = [row for row in result.certificates if row.certificate.name == "used"]
    assert used.used_by == (account.user,)  # type: ignore[attr-defined]
    assert used.delete_answer is None  # the search kept it: IAM was never asked (its DeleteConflict is off here)
    assert sorted(account.deletes) == sorted(UNUSED)
    assert account.names_left() == {"used", "valid"}
    assert (result.run_id, result.account, result.regions) == ("r1", ACCOUNT, _enabled(account))
    assert result.regions_left_out == []
    assert {row.searched for row in result.certificates} == {Searched.COMPLETE}
    assert result.errors == []
    assert {row.archived_to for row in result.certificates} == {None}  # no archive configured


def test_a_failed_listing_deletes_nothing_and_names_the_call(account: Fake) -> None:
    account.fail("iam", "ListServerCertificates", "AccessDenied", "not authorized")

    result = _run(account)

    assert result.certificates == []
    assert _error(result) == ("iam", "global", "ListServerCertificates", "AccessDenied")
    assert result.errors[0].hint
    account.heal()
    assert account.names_left() == EVERY
    assert _deletes(account) == 0


def test_one_failed_tag_read_keeps_every_candidate(account: Fake) -> None:
    def fail_for_unused_a(params: dict[str, Any], **_: Any) -> Any:
        if params["body"].get("ServerCertificateName") == "unused-a":
            error = {"Error": {"Code": "ServiceFailure", "Message": "one certificate"}}
            return AWSResponse("https://fake", 500, HTTPHeaders(), None), error
        return None

    account.hook("before-call.iam.ListServerCertificateTags", fail_for_unused_a)

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

    result = _run(account)

    assert _actions(result) == {
        "unused-a": "usage_unknown",
        "unused-b": "usage_unknown",
        "used": "usage_unknown",
        "valid": "valid",
    }
    assert _error(result) == ("ec2", "us-east-1", "DescribeRegions", "UnauthorizedOperation")
    assert result.regions == []
    assert {row.searched for row in result.certificates} == {Searched.INCOMPLETE}
    assert account.calls_to("elb") == account.calls_to("elbv2") == account.calls_to("cloudfront") == 0
    assert account.names_left() == EVERY


def test_no_region_listed_proves_nothing(account: Fake) -> None:
    account.respond("ec2", "DescribeRegions", {"Regions": []})

    result = _run(account)

    assert _error(result) == ("ec2", "us-east-1", "DescribeRegions", "NoRegions")
    assert result.errors[0].message == "no enabled region was listed"
    assert (result.regions, result.as_dict()["regions"]) == ([], [])
    assert set(_actions(result).values()) == {"usage_unknown", "valid"}
    assert account.names_left() == EVERY


def test_a_region_of_another_partition_listed_by_describe_regions_is_never_called(account: Fake) -> None:
    listed = [{"RegionName": region} for region in (REGION, "cn-north-1", "cn-northwest-1")]
    account.respond("ec2", "DescribeRegions", {"Regions": listed})

    result = _run(account)

    # The error names its true source: DescribeRegions' answer, not a setting
    assert _error(result) == ("ec2", "us-east-1", "DescribeRegions", "RegionOutsidePartition")
    assert (
        "listed cn-north-1 (partition aws-cn), cn-northwest-1 (partition aws-cn), outside partition aws"
        in result.errors[0].message
    )
    assert not [key for key in account.calls if key[1] != "us-east-1"]  # not even eu-west-1 was searched
    assert set(_actions(result).values()) == {"usage_unknown", "valid"}
    assert account.names_left() == EVERY


def test_a_narrowed_search_deletes_nothing_and_names_the_regions_left_out(account: Fake) -> None:
    # Given a search narrowed to the region where the only user is (as `cert-cleanup scan --region` asks)
    result = _run(account, regions=(REGION,))

    # Then it finds that user, and proves nothing unused: the other enabled regions were not searched
    left_out = [region for region in _enabled(account) if region != REGION]
    assert result.regions == [REGION]
    assert result.regions_left_out == left_out
    assert _actions(result) == {
        "unused-a": "usage_unknown",
        "unused-b": "usage_unknown",
        "used": "in_use",
        "valid": "valid",
    }
    [unused] = [row for row in result.certificates if row.certificate.name == "unused-a"]
    assert unused.reason == (
        f"expired; not proven unused: the search left out {plural(len(left_out), 'enabled region')}: "
        f"{', '.join(left_out)}"
    )
    assert {row.searched for row in result.certificates} == {Searched.INCOMPLETE}
    assert result.errors == []
    assert account.names_left() == EVERY
    assert _deletes(account) == 0


def test_a_narrowed_search_with_a_failed_lookup_still_names_the_regions_it_left_out(account: Fake) -> None:
    # Given a narrowed search in which a lookup also fails
    account.fail("elbv2", "DescribeLoadBalancers", "Throttling", "injected", region=REGION)
    result = _run(account, regions=(REGION,))

    # Then each candidate is kept unproven, and its reason still names the regions left out (the failure is listed
    # under the run's errors)
    left_out = [region for region in _enabled(account) if region != REGION]
    [unused] = [row for row in result.certificates if row.certificate.name == "unused-a"]
    assert unused.action.value == "usage_unknown"
    assert unused.reason.startswith(f"expired; not proven unused: the search left out {len(left_out)} enabled regions")
    assert _error(result) == ("elbv2", REGION, "DescribeLoadBalancers", "Throttling")
    assert _deletes(account) == 0


def test_a_narrowed_search_names_each_region_asked_for_that_the_account_has_not_enabled(account: Fake) -> None:
    # Given a search narrowed to an enabled region and to an opt-in region the account has not enabled
    assert "ap-east-1" not in _enabled(account)
    result = _run(account, regions=(REGION, "ap-east-1"))

    # Then only the enabled one is searched, and the other is named as not searched, with why
    assert result.regions == [REGION]
    assert [item for item in result.skipped if item.service == "all"] == [Skipped("all", "ap-east-1", NOT_ENABLED)]
    assert not [key for key in account.calls if key[1] == "ap-east-1"]
    assert _deletes(account) == 0


def test_used_by_is_filled_for_every_certificate_the_run_knows_in_use(aws: Fake) -> None:
    # Given certificates a person is reminded of, each on a load balancer, and none that could be deleted
    soon = aws.certificate("soon", days=12)["Arn"]
    grace = aws.certificate("in-grace", days=-1)["Arn"]
    pinned = aws.certificate("pinned", days=-30, tags={"cert-cleanup:exempt": "true"})["Arn"]
    users = {
        name: seed.classic_elb(aws.session, REGION, f"lb-{name}", arn)
        for name, arn in (("soon", soon), ("in-grace", grace), ("pinned", pinned))
    }

    result = _run(aws, GRACE_DAYS="3")

    # Then the search ran for the reminders, and each row names where the certificate is used
    rows = {row.certificate.name: row for row in result.certificates}
    assert {name: row.action.value for name, row in rows.items()} == {
        "soon": "expiring_soon",
        "in-grace": "grace_period",
        "pinned": "exempt",
    }
    for name, user in users.items():
        assert rows[name].used_by == (user,), name
        assert rows[name].searched is Searched.COMPLETE


def test_an_empty_used_by_never_means_not_looked(aws: Fake) -> None:
    aws.certificate("valid", days=200)
    aws.count_calls()

    [row] = _run(aws).certificates

    # Nothing needed the search: the row says so rather than an empty list alone
    assert (row.action.value, row.used_by, row.searched) == ("valid", (), Searched.NOT_SEARCHED)
    assert row.as_dict()["usage_search"] == "not_searched"
    assert aws.calls_to("elb") == aws.calls_to("ec2") == 0


@pytest.mark.parametrize(
    ("service", "operation", "code", "region"),
    [
        ("elb", "DescribeLoadBalancers", "AccessDenied", "ap-south-1"),
        ("elbv2", "DescribeLoadBalancers", "Throttling", "ap-south-1"),
        ("elbv2", "DescribeListeners", "InternalFailure", REGION),
        ("elbv2", "DescribeListenerCertificates", "ServiceUnavailable", REGION),
        ("appsync", "ListDomainNames", "UnauthorizedException", "ap-south-1"),
        ("cloudfront", "ListDistributions", "AccessDenied", "us-east-1"),  # CloudFront's client: the home region's
    ],
)
def test_any_failed_usage_lookup_keeps_every_candidate(
    account: Fake, service: str, operation: str, code: str, region: str
) -> None:
    account.fail(service, operation, code, "injected", region=region)

    result = _run(account)

    assert _actions(result)["unused-a"] == _actions(result)["unused-b"] == "usage_unknown"
    assert _error(result) == (service, "global" if service == "cloudfront" else region, operation, code)
    assert account.names_left() == EVERY
    assert _deletes(account) == 0


def test_the_search_reports_its_progress(account: Fake) -> None:
    seen: list[tuple[str, str, int, int]] = []
    settings = Settings.build()
    options = run.RunOptions.create(ACCOUNT, dry_run=True, on_progress=lambda *step: seen.append(step))

    result = run.cleanup(settings, account.clients, options)

    # elb, elbv2 and appsync in every region (appsync where it is offered), and CloudFront once: each task is
    # reported as it ends
    enabled = _enabled(account)
    tasks = 2 * len(enabled) + (len(enabled) - sum(1 for item in result.skipped if item.service == "appsync")) + 1
    assert [(done, total) for _, _, done, total in seen] == [(done, tasks) for done in range(1, tasks + 1)]
    assert sorted({(service, region) for service, region, _, _ in seen if service == "elb"}) == [
        ("elb", region) for region in enabled
    ]
    assert [region for service, region, _, _ in seen if service == "cloudfront"] == ["global"]


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


def test_only_the_approved_certificates_are_deleted(account: Fake) -> None:
    # Given a person approved one of the two deletable certificates (cert-cleanup run, after its question)
    listed = account.iam.list_server_certificates()["ServerCertificateMetadataList"]
    ids = {item["ServerCertificateName"]: item["ServerCertificateId"] for item in listed}

    result = _run(account, approved=frozenset({ids["unused-a"]}))

    assert _actions(result) == {"unused-a": "deleted", "unused-b": "would_delete", "used": "in_use", "valid": "valid"}
    [kept] = [row for row in result.certificates if row.certificate.name == "unused-b"]
    assert kept.reason.endswith("; not deleted: not among the certificates you approved")
    assert account.names_left() == {"unused-b", "used", "valid"}


def test_an_exempt_certificate_is_kept(aws: Fake) -> None:
    aws.certificate("pinned", days=-30, tags={"cert-cleanup:exempt": "True"})
    assert _actions(_run(aws)) == {"pinned": "exempt"}
    assert aws.names_left() == {"pinned"}


# --- archive, then delete -----------------------------------------------------------------------


def test_archiving_reads_tags_and_material_in_one_call_then_writes_then_deletes(account: Fake) -> None:
    account.session.client("s3").create_bucket(Bucket=BUCKET)

    result = _run(account, ARCHIVE_BUCKET=BUCKET)

    # One GetServerCertificate per expired candidate replaces its tag read, and one more right before each
    # deletion checks the name still holds the certificate listed; one write per deletion. The certificate in use
    # reads the valid one's names, a candidate to succeed it (its own body is the one read with its tags)
    assert account.calls[("iam", "us-east-1", "GetServerCertificate")] == 3 + 2 + 1
    assert account.calls[("iam", "us-east-1", "ListServerCertificateTags")] == 0
    assert account.calls[("s3", "us-east-1", "PutObject")] == 2
    assert account.names_left() == {"used", "valid"}
    assert sorted(row.certificate.name for row in result.certificates) == sorted(EVERY)
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
            "regions_searched": _enabled(account),
            "services_searched": ["elb", "elbv2", "appsync", "cloudfront"],
        }


def test_a_failed_archive_write_keeps_the_certificate(account: Fake) -> None:
    account.session.client("s3").create_bucket(Bucket=BUCKET)
    account.fail("s3", "PutObject", "AccessDenied", "denied")

    result = _run(account, ARCHIVE_BUCKET=BUCKET)

    failed = {
        row.certificate.name: (row.action.value, row.reason)
        for row in result.certificates
        if row.certificate.name in UNUSED
    }
    assert failed == dict.fromkeys(UNUSED, ("failed", "not deleted: archive failed (AccessDenied: denied)"))
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
    assert row.delete_answer is DeleteAnswer.REFUSED_IN_USE
    assert row.reason.startswith(f"{DELETE_REFUSED}: Certificate: ")
    assert f"is currently in use by {user}. Please remove it first" in row.reason
    assert row.archived_to == _archived_to(archive, "hidden")  # the archive written just before stays named
    assert aws.names_left() == {"hidden"}


def test_iam_s_safety_net_keeps_a_certificate_whose_user_the_search_missed(iam_safety_net: Fake) -> None:
    # Given IAM's DeleteConflict on (AWS often refuses to delete a bound certificate, but does not promise to), and a
    # Classic ELB using an expired certificate that the search does not see (its answer lists no load balancer)
    aws = iam_safety_net
    used = aws.certificate("used", days=-30)["Arn"]
    user = seed.classic_elb(aws.session, REGION, "legacy", used)
    aws.respond("elb", "DescribeLoadBalancers", {"LoadBalancerDescriptions": []})

    # When the run, proving it unused, tries to delete it
    [row] = _run(aws).certificates

    # Then IAM's refusal keeps it: in use, naming the user IAM names, told as IAM's answer
    assert aws.deletes == ["used"]
    assert (row.action.value, row.used_by, row.delete_answer) == ("in_use", (user,), DeleteAnswer.REFUSED_IN_USE)
    assert aws.names_left() == {"used"}


@pytest.mark.parametrize("archive", [False, True], ids=["no-archive", "archive"])
@pytest.mark.parametrize(
    ("code", "status", "action", "reason", "answer"),
    [
        ("NoSuchEntity", 404, "already_gone", run.ALREADY_GONE, None),
        ("ServiceFailure", 500, "failed", "delete failed (ServiceFailure: try later)", None),
    ],
)
def test_what_a_failed_delete_means(
    aws: Fake, code: str, status: int, action: str, reason: str, answer: DeleteAnswer | None, archive: bool
) -> None:
    aws.certificate("old", days=-30)
    settings = _archive_settings(aws, archive)
    aws.fail("iam", "DeleteServerCertificate", code, "try later", status=status)

    [row] = _run(aws, **settings).certificates

    assert (row.certificate.name, row.action.value, row.reason, row.delete_answer) == ("old", action, reason, answer)
    assert row.archived_to == _archived_to(archive, "old")


def test_a_failed_check_of_the_certificate_before_its_delete_keeps_it(aws: Fake) -> None:
    # Given tags read alone (no archive), and the check right before the delete failing
    aws.certificate("old", days=-30)
    aws.fail("iam", "GetServerCertificate", "ServiceFailure", "try later", status=500)

    [row] = _run(aws).certificates

    assert (row.action.value, row.reason) == (
        "failed",
        "not deleted: could not check it is still the certificate listed (ServiceFailure: try later)",
    )
    assert aws.names_left() == {"old"}


@pytest.mark.parametrize("archive", [False, True], ids=["no-archive", "archive"])
def test_a_delete_that_never_reached_iam_is_a_failure(aws: Fake, archive: bool) -> None:
    aws.certificate("old", days=-30)
    settings = _archive_settings(aws, archive)

    def refuse(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://iam.amazonaws.com")

    aws.hook("before-send.iam.DeleteServerCertificate", refuse)

    [row] = _run(aws, **settings).certificates

    assert (row.certificate.name, row.action.value) == ("old", "failed")
    assert row.reason.startswith("delete failed (EndpointConnectionError: ")
    assert row.archived_to == _archived_to(archive, "old")
    assert aws.names_left() == {"old"}


# --- the invocation ------------------------------------------------------------------------------


def _handle(aws: Fake, event: object = SCHEDULED, **values: Any) -> dict[str, Any]:
    return job.handle(event, CONTEXT, settings=summary_settings(aws.session, **values), clients=aws.clients)


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
    account.fail("elb", "DescribeLoadBalancers", "AccessDenied", "denied", region=REGION)

    with pytest.raises(RunFailed, match="1 failed call, first: elb DescribeLoadBalancers in eu-west-1"):
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
    assert account.names_left() == {"used", "valid"}  # the work was done before the publish

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

    document = job.handle(
        SCHEDULED,
        CONTEXT,
        settings=summary_settings(account.session, READ_ACCOUNT_ALIAS="true"),
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


def test_the_first_scheduled_run_after_a_deploy_reads_the_deployment_time_and_tells_people(aws: Fake) -> None:
    aws.certificate("valid", days=200)
    aws.deploy_function(at=aws.now - timedelta(hours=2))
    aws.count_calls()

    document = _handle(aws, SCHEDULED, UPDATE_FINDINGS="false")

    assert document["told_because"][0].startswith("the first scheduled run since cert-cleanup was deployed or changed")
    assert aws.calls[("lambda", "us-east-1", "GetFunctionConfiguration")] == 1
    assert document["warnings"] == []


def test_an_unreadable_deployment_time_is_a_warning_and_the_run_goes_on(aws: Fake) -> None:
    aws.certificate("valid", days=200)
    aws.fail("lambda", "GetFunctionConfiguration", "AccessDeniedException", "not allowed", status=403)

    document = _handle(aws, SCHEDULED, UPDATE_FINDINGS="false")

    assert document["told_because"] == []
    [warning] = document["warnings"]
    assert warning == (
        "reading the function's deployment time failed (AccessDeniedException: not allowed); "
        "a first run after a deploy is told like any other"
    )


def test_a_run_by_hand_or_told_every_run_does_not_read_the_deployment_time(aws: Fake) -> None:
    aws.certificate("valid", days=200)
    aws.count_calls()
    _handle(aws, {})
    _handle(aws, SCHEDULED, TELL_PEOPLE="every-run")
    assert aws.calls_to("lambda") == 0


def test_lambda_last_modified_is_read_as_the_api_reference_writes_it() -> None:
    assert deployment.parse_last_modified("2019-08-14T22:26:11.234+0000") == datetime(
        2019, 8, 14, 22, 26, 11, 234000, tzinfo=UTC
    )
    assert deployment.parse_last_modified("2026-11-27T06:00:00.000-0130") == datetime(2026, 11, 27, 7, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="not a LastModified time"):
        deployment.parse_last_modified("yesterday")


def test_the_summary_is_published_in_the_topic_region(account: Fake) -> None:
    topic = account.session.client("sns", region_name="ap-southeast-2").create_topic(Name="t")["TopicArn"]
    settings = Settings.build(SNS_TOPIC_ARN=topic)

    job.handle(SCHEDULED, CONTEXT, settings=settings, clients=account.clients)

    assert account.calls[("sns", "ap-southeast-2", "Publish")] == 1


# --- the usage search overlaps the tag reads -------------------------------------------------------


def test_the_usage_search_starts_while_tags_are_still_being_read(account: Fake) -> None:
    # Given a tag read that waits (up to 10 s) for the usage search to make its first call
    searching = threading.Event()
    overlapped: list[bool] = []
    account.hook("before-call.elastic-load-balancing.*", lambda **_: searching.set())

    def slow_tags(params: dict[str, Any], **_: Any) -> None:
        if params["body"].get("ServerCertificateName") == "unused-b":
            overlapped.append(searching.wait(timeout=10))

    account.hook("before-call.iam.ListServerCertificateTags", slow_tags)

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
