"""Runs that meet, and answers that go wrong: one run at a time acts on the account (the run lease), each deletion is
told once, a certificate gone mid-run is not a failure, and the summary of a run that deleted always goes out.

The runs overlap for real: threads, each with its own clients, against one in-process AWS (moto's DynamoDB, whose
ConditionExpression evaluation is what the lease rests on)."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError

from cert_cleanup import best_effort, job, run
from cert_cleanup.aws.clients import AwsClients
from cert_cleanup.config import names
from cert_cleanup.errors import RunFailed
from emulator import seed
from tests.support import ACCOUNT, CONTEXT, FAST_RETRIES, SCHEDULED, Fake, every_call, new_session, summary_settings

pytestmark = pytest.mark.safety

BUCKET = "archive-bucket"


def _lease(aws: Fake, **values: Any) -> Any:
    """Settings as deployed: a topic, the run lease, an archive bucket."""
    aws.session.client("s3").create_bucket(Bucket=BUCKET)
    deployed = {"LEASE_TABLE": seed.lease_table(aws.session), "ARCHIVE_BUCKET": BUCKET, "UPDATE_FINDINGS": "false"}
    return summary_settings(aws.session, **{**deployed, **values})


def _sent(aws: Fake) -> list[dict[str, Any]]:
    """Every summary published to the results topic: its JSON and audience."""
    from moto.sns.models import sns_backends

    topics = sns_backends[ACCOUNT]["us-east-1"].topics
    [topic] = [topic for arn, topic in topics.items() if arn.endswith(":cert-cleanup")]
    return [
        {
            "document": json.loads(json.loads(sent[1])["sqs"]),  # what machines receive
            "audience": (sent[3] or {})[names.AUDIENCE_ATTRIBUTE]["Value"],
        }
        for sent in topic.sent_notifications
    ]


def _deletions_told(aws: Fake) -> list[str]:
    """Each certificate a published summary says its run deleted, once per summary."""
    return [
        row["name"] for sent in _sent(aws) for row in sent["document"]["certificates"] if row["action"] == "deleted"
    ]


def _archived(aws: Fake) -> list[str]:
    listed = aws.session.client("s3").list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return sorted(item["Key"] for item in listed)


def _now_event(event: dict[str, Any], at: datetime) -> dict[str, Any]:
    return {**event, "time": at.strftime("%Y-%m-%dT%H:%M:%SZ")}


def _own_clients() -> AwsClients:
    """A run's own clients, as a separate Lambda execution environment has."""
    return AwsClients(new_session("us-east-1"), FAST_RETRIES)


class HeldRun:
    """A run's own clients whose first DeleteServerCertificate waits: ``at_delete`` is set when the run is there,
    and it goes on when ``go_on`` is set. Another run started meanwhile meets a run in the middle of its deletions."""

    def __init__(self) -> None:
        self.clients = _own_clients()
        self.at_delete, self.go_on = threading.Event(), threading.Event()
        held = threading.Lock()

        def hold_the_first_delete(**_: Any) -> None:
            if held.acquire(blocking=False):
                self.at_delete.set()
                assert self.go_on.wait(60)

        self.clients._session.register("before-call.iam.DeleteServerCertificate", hold_the_first_delete)


def test_a_burst_of_finding_events_during_a_scheduled_run_causes_at_most_one_more_run(aws: Fake) -> None:
    # Given three expired unused certificates, the deployed settings, and a scheduled run that is in the middle of
    # its deletions (held at its first delete)
    for name in ("old-a", "old-b", "old-c"):
        aws.certificate(name, days=-30)
    config = _lease(aws)
    held = HeldRun()
    with every_call() as calls, ThreadPoolExecutor(max_workers=17) as pool:
        scheduled = pool.submit(job.handle, SCHEDULED, CONTEXT, settings=config, clients=held.clients)
        assert held.at_delete.wait(60)
        # When a burst of 100 IAM.26 finding events arrives, one ASFF and one OCSF per finding, from 16 invocations
        # at once, each with its own clients
        later = datetime.now(UTC) + timedelta(seconds=1)
        asff = _now_event(seed.finding_event(seed.iam26_finding(ACCOUNT)), later)
        ocsf = _now_event(
            seed.finding_event(seed.iam26_ocsf_finding(ACCOUNT), detail_type="Findings Imported V2"), later
        )
        burst = [asff, ocsf] * 50
        answers = list(
            pool.map(lambda event: job.handle(event, CONTEXT, settings=config, clients=_own_clients()), burst)
        )
        held.go_on.set()
        document = scheduled.result(timeout=120)

    # Then every event of the burst returned at once, successfully, saying which run is in progress
    assert {answer["not_run"] for answer in answers} == {True}
    assert {answer["running_run_id"] for answer in answers} == {document["run_id"]}
    assert all("another cert-cleanup run is in progress" in answer["reason"] for answer in answers)
    # And the scheduled run deleted all three and ran exactly once more, for the burst (which deleted nothing)
    assert document["counts"]["deleted"] == 3
    [follow_up] = document["follow_ups"]
    assert follow_up["counts"]["deleted"] == 0
    assert calls["iam.ListServerCertificates"] == 2
    # And each deletion was told once, archived once, and nothing is left
    assert sorted(_deletions_told(aws)) == ["old-a", "old-b", "old-c"]
    assert [sent["audience"] for sent in _sent(aws)] == ["people", "machines"]
    assert len(_archived(aws)) == 3
    assert aws.names_left() == set()


def test_with_every_run_told_a_burst_is_not_told_once_per_event(aws: Fake) -> None:
    # Given TELL_PEOPLE=every-run and a run in progress
    aws.certificate("old", days=-30)
    config = _lease(aws, TELL_PEOPLE="every-run")
    held = HeldRun()
    with ThreadPoolExecutor(max_workers=9) as pool:
        scheduled = pool.submit(job.handle, SCHEDULED, CONTEXT, settings=config, clients=held.clients)
        assert held.at_delete.wait(60)
        event = _now_event(seed.finding_event(seed.iam26_finding(ACCOUNT)), datetime.now(UTC) + timedelta(seconds=1))
        list(pool.map(lambda e: job.handle(e, CONTEXT, settings=config, clients=_own_clients()), [event] * 20))
        held.go_on.set()
        scheduled.result(timeout=120)

    # Then people were told once per run (the scheduled one and its one follow-up), not once per event
    assert [sent["audience"] for sent in _sent(aws)] == ["people", "people"]


def test_a_finding_the_latest_run_already_saw_starts_no_run(aws: Fake) -> None:
    # Given a scheduled run that ended, and a finding updated before it started
    aws.certificate("old", days=-30)
    config = _lease(aws)
    before = datetime.now(UTC) - timedelta(minutes=5)
    job.handle(SCHEDULED, CONTEXT, settings=config, clients=aws.clients)
    aws.count_calls()

    # When the finding's event arrives late
    answer = job.handle(_now_event(seed.finding_event(seed.iam26_finding(ACCOUNT)), before), CONTEXT, settings=config)

    # Then it is covered, and no run lists anything
    assert answer["not_run"] is True
    assert answer["reason"].startswith("already covered: the latest run started at ")
    assert aws.calls[("iam", "us-east-1", "ListServerCertificates")] == 0


def test_a_run_by_hand_during_a_run_is_told_plainly_and_does_not_fail(aws: Fake) -> None:
    # Given a run in progress
    aws.certificate("old", days=-30)
    config = _lease(aws)
    held = HeldRun()
    with ThreadPoolExecutor(max_workers=2) as pool:
        scheduled = pool.submit(job.handle, SCHEDULED, CONTEXT, settings=config, clients=held.clients)
        assert held.at_delete.wait(60)
        # When a person invokes by hand
        answer = job.handle({}, CONTEXT, settings=config, clients=_own_clients())
        held.go_on.set()
        document = scheduled.result(timeout=120)

    # Then they are told which run is in progress and to invoke again; nothing failed, nothing was recorded
    assert answer["not_run"] is True
    assert answer["running_run_id"] == document["run_id"]
    assert answer["reason"].endswith("nothing was done: invoke again once it has ended")
    assert "follow_ups" not in document


def test_an_expired_lease_of_a_crashed_run_is_taken_over(aws: Fake) -> None:
    # Given a lease left by a run that timed out (expired a second ago)
    aws.certificate("old", days=-30)
    config = _lease(aws)
    gone = datetime.now(UTC) - timedelta(seconds=1)
    aws.session.client("dynamodb").put_item(
        TableName=config.lease_table,
        Item={
            "pk": {"S": "run"},
            "holder": {"S": "crashed"},
            "holder_trigger": {"S": "schedule"},
            "holder_since": {"N": str((gone - timedelta(minutes=11)).timestamp())},
            "expires_at": {"N": str(gone.timestamp())},
        },
    )

    # When the next scheduled run starts
    document = job.handle(SCHEDULED, CONTEXT, settings=config, clients=aws.clients)

    # Then it runs
    assert document["counts"]["deleted"] == 1


def test_a_lease_that_cannot_be_read_stops_the_run_before_anything_is_deleted(aws: Fake) -> None:
    # Given the lease table refusing the function (a missing grant, a throttle after retries)
    aws.certificate("old", days=-30)
    config = _lease(aws)
    aws.fail("dynamodb", "GetItem", "AccessDeniedException", "not allowed", status=400)

    # When a run starts, it cannot know whether another one is acting: it fails, visibly, and deletes nothing
    with pytest.raises(Exception, match="AccessDeniedException"):
        job.handle(SCHEDULED, CONTEXT, settings=config, clients=aws.clients)
    assert aws.names_left() == {"old"}


def test_a_certificate_that_vanishes_before_its_tag_read_is_already_gone_and_the_run_goes_on(aws: Fake) -> None:
    # Given two expired certificates, one of them deleted by someone else right after the listing while a load
    # balancer still names it (ELB may go on naming a deleted certificate: DeleteServerCertificate's reference)
    vanishes = aws.certificate("vanishes", days=-30)["Arn"]
    seed.classic_elb(aws.session, "eu-west-1", "legacy", vanishes)
    aws.certificate("old", days=-30)

    def delete_after_listing(**_: Any) -> None:
        if "vanishes" in aws.names_left():
            aws.iam.delete_server_certificate(ServerCertificateName="vanishes")

    aws.hook("after-call.iam.ListServerCertificates", delete_after_listing)

    # When a run reads their tags (no archive: ListServerCertificateTags)
    document = job.handle(SCHEDULED, CONTEXT, settings=summary_settings(aws.session), clients=aws.clients)

    # Then the vanished one is already gone (not a failed lookup), and the other is deleted; the run did not fail
    rows = {row["name"]: row for row in document["certificates"]}
    assert (rows["vanishes"]["action"], rows["old"]["action"]) == ("already_gone", "deleted")
    assert document["errors"] == []
    assert document["counts"]["deleted"] == 1
    # and its row says only that: why, and no use (the run decided nothing about it, so it claims nothing of it)
    assert rows["vanishes"]["reason"] == run.ALREADY_GONE
    assert rows["vanishes"]["used_by"] == []


def test_an_ambiguous_delete_is_this_runs_deletion_and_is_told(aws: Fake) -> None:
    # Given a finding-started run (told only what it deleted itself), and a delete whose answer is lost: IAM deleted
    # the certificate, the connection timed out, botocore retried, and IAM answered NoSuchEntity
    aws.certificate("old", days=-30)
    config = _lease(aws)
    lost: list[str] = []

    def delete_then_lose_the_answer(**_: Any) -> None:
        if not lost:
            lost.append("old")
            aws.iam.delete_server_certificate(ServerCertificateName="old")
            raise ReadTimeoutError(endpoint_url="https://iam.amazonaws.com/")

    aws.hook("before-send.iam.DeleteServerCertificate", delete_then_lose_the_answer)
    event = _now_event(seed.finding_event(seed.iam26_finding(ACCOUNT)), datetime.now(UTC))

    # When the run deletes it
    document = job.handle(event, CONTEXT, settings=config, clients=aws.clients)

    # Then it is this run's deletion, archived, and told to a person
    [row] = document["certificates"]
    assert (row["action"], row["delete_answer"]) == ("deleted", "gone_on_retry")
    assert row["reason"].endswith(run.GONE_ON_RETRY)
    assert row["archived_to"].startswith(f"s3://{BUCKET}/")
    assert document["told_because"] == ["1 certificate deleted"]
    assert _deletions_told(aws) == ["old"]


def test_a_delete_answered_no_such_entity_at_once_is_someone_elses(aws: Fake) -> None:
    # Given IAM answering NoSuchEntity to the first and only attempt (someone deleted it after the check)
    aws.certificate("old", days=-30)
    aws.fail("iam", "DeleteServerCertificate", "NoSuchEntity", "gone", status=404)
    document = job.handle(SCHEDULED, CONTEXT, settings=summary_settings(aws.session), clients=aws.clients)
    [row] = document["certificates"]
    assert row["action"] == "already_gone"
    assert document["counts"]["deleted"] == 0


@pytest.mark.parametrize(
    ("service", "operation", "answer"),
    [
        ("securityhub", "GetFindings", {}),  # no Findings
        ("config", "DescribeConfigRules", {}),  # no ConfigRules
        ("lambda", "GetFunctionConfiguration", {"FunctionName": "cert-cleanup"}),  # no LastModified
    ],
    ids=["GetFindings", "DescribeConfigRules", "GetFunctionConfiguration"],
)
def test_a_malformed_answer_to_a_best_effort_step_never_costs_the_summary(
    aws: Fake, service: str, operation: str, answer: dict[str, Any]
) -> None:
    # Given a run that deletes, with Security Hub, AWS Config and the first-run check all on
    aws.certificate("old", days=-30)
    config = _lease(aws, UPDATE_FINDINGS="true")
    aws.session.client("securityhub").enable_security_hub()
    aws.respond(service, operation, answer)

    # When it runs
    document = job.handle(SCHEDULED, CONTEXT, settings=config, clients=aws.clients)

    # Then the deletion is published and told, and the malformed answer is a warning
    assert _deletions_told(aws) == ["old"]
    assert document["counts"]["deleted"] == 1
    assert any(operation in warning or "KeyError" in warning for warning in document["warnings"]), document["warnings"]


def test_a_malformed_chat_answer_is_a_warning_and_the_email_still_goes(aws: Fake) -> None:
    # Given a chat topic whose Publish answers 200 without a MessageId
    aws.certificate("old", days=-30)
    chat = aws.session.client("sns").create_topic(Name="chat")["TopicArn"]
    config = _lease(aws, CHAT_TOPIC_ARN=chat)

    def no_message_id(params: dict[str, Any], **_: Any) -> Any:
        if chat in str(params.get("body")):
            from botocore.awsrequest import AWSResponse, HTTPHeaders

            return AWSResponse("https://fake", 200, HTTPHeaders(), None), {}
        return None

    aws.hook("before-call.sns.Publish", no_message_id)

    document = job.handle(SCHEDULED, CONTEXT, settings=config, clients=aws.clients)

    assert _deletions_told(aws) == ["old"]
    assert any(warning.startswith("chat post failed (KeyError") for warning in document["warnings"])


def test_a_hung_best_effort_step_is_left_behind_and_the_summary_goes_out_in_time(aws: Fake) -> None:
    # Given an invocation with little time left (the reserve for the publish plus two seconds), and AWS Config's
    # endpoint hanging far longer than that
    aws.certificate("old", days=-30)
    config = _lease(aws, UPDATE_FINDINGS="false")
    release = threading.Event()

    def hang(**_: Any) -> None:
        release.wait(30)

    aws.hook("before-send.config-service.DescribeConfigRules", hang)
    ends_at = time.monotonic() + best_effort.RESERVED_SECONDS + 2
    context = SimpleNamespace(
        **vars(CONTEXT), get_remaining_time_in_millis=lambda: int((ends_at - time.monotonic()) * 1000)
    )

    # When the run deletes and asks AWS Config to re-evaluate
    try:
        document = job.handle(SCHEDULED, context, settings=config, clients=aws.clients)
    finally:
        release.set()

    # Then the step was given what was left before the reserve, abandoned, and the summary went out
    assert any("AWS Config re-evaluation: no answer within" in warning for warning in document["warnings"])
    assert _deletions_told(aws) == ["old"]
    assert time.monotonic() < ends_at - best_effort.RESERVED_SECONDS + 5


def test_a_hung_successor_search_is_left_behind_and_the_summary_goes_out_in_time(
    aws: Fake, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a run that deletes one certificate and finds another, expired, in use (so it names its successor),
    # steps of two seconds at most, and ACM's endpoint hanging far longer than that
    monkeypatch.setattr(best_effort, "STEP_LIMIT_SECONDS", 2.0)
    aws.certificate("old", days=-30)
    in_use = aws.certificate("shop", days=-30)["Arn"]
    seed.alb_with_certificates(aws.session, "us-east-1", "shop", in_use, [])
    config = _lease(aws, UPDATE_FINDINGS="false", REEVALUATE_CONFIG_RULE="false")
    release, hang_ended = threading.Event(), threading.Event()

    def hang(**_: Any) -> None:
        release.wait(30)
        hang_ended.set()

    aws.hook("before-send.acm.ListCertificates", hang)

    # When it runs
    try:
        document = job.handle(SCHEDULED, CONTEXT, settings=config, clients=aws.clients)
        hung_throughout = not hang_ended.is_set()
    finally:
        release.set()

    # Then naming successors was abandoned at its budget, and the summary went out with the warning
    abandoned = (
        "naming successors: no answer within 2 s, left unfinished so the summary goes out; no successor is named"
    )
    assert abandoned in document["warnings"]
    assert _deletions_told(aws) == ["old"]
    [row] = [row for row in document["certificates"] if row["name"] == "shop"]
    assert (row["action"], row.get("successors", [])) == ("in_use", [])
    assert hung_throughout  # the run did not wait for ACM's answer


def test_a_step_that_raises_anything_is_a_warning() -> None:
    deadline = best_effort.Deadline(time.monotonic() + 600)

    def broken() -> None:
        raise RuntimeError("a bug")

    outcome = best_effort.run_step("the step", broken, deadline)
    assert (outcome.value, outcome.warning) == (None, "the step failed (RuntimeError: a bug)")


def test_with_no_time_left_a_step_is_not_attempted() -> None:
    called: list[bool] = []
    outcome = best_effort.run_step("the step", lambda: called.append(True), best_effort.Deadline(time.monotonic()))
    assert called == []
    assert "not attempted" in str(outcome.warning)


def test_the_first_run_after_a_deploy_is_told_once_even_when_two_runs_fall_in_its_window(aws: Fake) -> None:
    # Given a stack update 30 minutes before a scheduled run (a rate(1 day) schedule's first-run window is one day
    # plus one hour), and the next scheduled run one day later: both fall in the window
    aws.certificate("valid", days=200)
    config = _lease(aws, SCHEDULE_KIND="rate")
    now = datetime.now(UTC)
    aws.deploy_function(at=now - timedelta(minutes=30))

    first = job.handle(SCHEDULED, CONTEXT, settings=config, clients=aws.clients, now=now)
    second = job.handle(SCHEDULED, CONTEXT, settings=config, clients=aws.clients, now=now + timedelta(days=1))

    # Then only the first says so
    assert first["told_because"][0].startswith("the first scheduled run since cert-cleanup was deployed")
    assert second["told_because"] == []


def test_exempt_tag_keys_match_as_iam_matches_them(aws: Fake) -> None:
    # IAM's condition keys are case-insensitive: the role's Deny on aws:ResourceTag/cert-cleanup:exempt covers
    # Cert-Cleanup:Exempt too, so the code must keep it as well
    aws.certificate("kept", days=-30, tags={"Cert-Cleanup:Exempt": "TRUE"})
    document = job.handle(SCHEDULED, CONTEXT, settings=summary_settings(aws.session), clients=aws.clients)
    [row] = document["certificates"]
    assert row["action"] == "exempt"
    assert aws.names_left() == {"kept"}


def test_a_run_whose_publish_fails_fails_visibly(aws: Fake) -> None:
    aws.certificate("old", days=-30)
    config = _lease(aws)
    aws.fail("sns", "Publish", "AuthorizationError", "no", status=403)
    with pytest.raises(RunFailed, match="sns Publish"):
        job.handle(SCHEDULED, CONTEXT, settings=config, clients=aws.clients)


def test_a_dry_run_covers_no_finding(aws: Fake) -> None:
    # Given a dry run by hand that ended, and a finding updated before it started
    aws.certificate("old", days=-30)
    config = _lease(aws)
    before = datetime.now(UTC) - timedelta(minutes=5)
    job.handle({"dry_run": True}, CONTEXT, settings=config, clients=aws.clients)

    # When the finding's event arrives late, it still runs: the dry run deleted nothing
    document = job.handle(_now_event(seed.finding_event(seed.iam26_finding(ACCOUNT)), before), CONTEXT, settings=config)

    assert document["counts"]["deleted"] == 1


def test_a_custom_action_on_many_findings_is_one_run(aws: Fake) -> None:
    # Given a person choosing "Run cert-cleanup" on five IAM.26 findings: Security Hub sends one event per finding
    aws.certificate("old", days=-30)
    config = _lease(aws)
    action = f"arn:aws:securityhub:us-east-1:{ACCOUNT}:action/custom/CertCleanupRun"
    clicked = datetime.now(UTC) - timedelta(seconds=1)
    events = [_now_event(seed.custom_action_event(seed.iam26_finding(ACCOUNT), action), clicked)] * 5

    # When the five arrive one after another
    with every_call() as calls:
        answers = [job.handle(event, CONTEXT, settings=config, clients=aws.clients) for event in events]

    # Then the first one ran (and told the person), and the other four were covered by it
    assert answers[0]["told_because"][0] == "the run was started from Security Hub (custom action)"
    assert [answer.get("not_run", False) for answer in answers] == [False, True, True, True, True]
    assert calls["iam.ListServerCertificates"] == 1


def _ask_for_a_follow_up_during_each_run(aws: Fake, table: str) -> None:
    """Record a finding's request on the lease while each run lists (what an event arriving then would do)."""

    def request(**_: Any) -> None:
        at = datetime.now(UTC) + timedelta(seconds=1)
        aws.session.client("dynamodb").update_item(
            TableName=table,
            Key={"pk": {"S": "run"}},
            UpdateExpression="SET req_finding = :at",
            ExpressionAttributeValues={":at": {"N": f"{at.timestamp():.3f}"}},
        )

    aws.hook("after-call.iam.ListServerCertificates", request)


def _context(seconds: float) -> SimpleNamespace:
    ends_at = time.monotonic() + seconds
    return SimpleNamespace(
        **vars(CONTEXT), get_remaining_time_in_millis=lambda: int((ends_at - time.monotonic()) * 1000)
    )


def test_follow_up_runs_are_bounded_even_when_every_run_is_asked_for_another(aws: Fake) -> None:
    # Given events that keep arriving during every run
    aws.certificate("valid", days=200)
    config = _lease(aws)
    _ask_for_a_follow_up_during_each_run(aws, str(config.lease_table))

    # When a scheduled run starts, with all the time of an invocation
    with every_call() as calls:
        document = job.handle(SCHEDULED, _context(900), settings=config, clients=aws.clients)

    # Then it runs again at most MAX_FOLLOW_UPS times, and the next event or the schedule runs the rest
    assert len(document["follow_ups"]) == job.MAX_FOLLOW_UPS
    assert calls["iam.ListServerCertificates"] == 1 + job.MAX_FOLLOW_UPS


def test_with_too_little_time_left_no_follow_up_runs_and_the_run_is_reported(aws: Fake) -> None:
    # Given a request recorded during the run, and an invocation with less than FOLLOW_UP_MIN_SECONDS left after it
    aws.certificate("old", days=-30)
    config = _lease(aws)
    _ask_for_a_follow_up_during_each_run(aws, str(config.lease_table))

    document = job.handle(SCHEDULED, _context(job.FOLLOW_UP_MIN_SECONDS - 10), settings=config, clients=aws.clients)

    # Then the run's own result is returned, with no follow-up
    assert document["counts"]["deleted"] == 1
    assert "follow_ups" not in document


def test_a_follow_up_another_run_took_over_is_left_to_it(aws: Fake) -> None:
    # Given a request recorded during the run, and another run taking the lease right after this one releases it
    aws.certificate("old", days=-30)
    config = _lease(aws)
    _ask_for_a_follow_up_during_each_run(aws, str(config.lease_table))

    def another_run_takes_it(model: Any, parsed: dict[str, Any], **_: Any) -> None:
        if model.name == "UpdateItem" and "Attributes" in parsed:  # the release (ReturnValues ALL_OLD)
            later = datetime.now(UTC) + timedelta(minutes=10)
            aws.session.client("dynamodb").put_item(
                TableName=str(config.lease_table),
                Item={
                    "pk": {"S": "run"},
                    "holder": {"S": "another"},
                    "holder_trigger": {"S": "schedule"},
                    "holder_since": {"N": f"{datetime.now(UTC).timestamp():.3f}"},
                    "expires_at": {"N": f"{later.timestamp():.3f}"},
                },
            )

    aws.hook("after-call.dynamodb.UpdateItem", another_run_takes_it)

    document = job.handle(SCHEDULED, _context(900), settings=config, clients=aws.clients)

    # Then this invocation reports its own run and makes no second one
    assert document["counts"]["deleted"] == 1
    assert "follow_ups" not in document


def test_the_lease_outlives_the_invocation_by_its_margin(aws: Fake) -> None:
    # Given an invocation with 600 s left
    aws.certificate("valid", days=200)
    config = _lease(aws)
    seen: list[dict[str, Any]] = []

    def read_the_lease(**_: Any) -> None:
        item = aws.session.client("dynamodb").get_item(TableName=str(config.lease_table), Key={"pk": {"S": "run"}})
        seen.append(item["Item"])

    aws.hook("after-call.iam.ListServerCertificates", read_the_lease)

    job.handle(SCHEDULED, _context(600), settings=config, clients=aws.clients)

    # Then the run held a lease ending a minute after the invocation can end (a timed-out run holds it no longer)
    [item] = seen
    held = float(item["expires_at"]["N"]) - float(item["holder_since"]["N"])
    assert 600 + job.LEASE_MARGIN.total_seconds() - 5 <= held <= 600 + job.LEASE_MARGIN.total_seconds()


def test_a_run_holding_the_lease_runs_at_the_time_it_is_given(aws: Fake) -> None:
    # Given a simulated day three days from now (tests of many days inject the clock)
    aws.certificate("valid", days=200)
    config = _lease(aws)
    later = datetime.now(UTC) + timedelta(days=3)

    document = job.handle(SCHEDULED, CONTEXT, settings=config, clients=aws.clients, now=later)

    assert document["started_at"] == later.isoformat()
