"""The organization digest: 50 member results in, one email and one report out; a failure loses nothing.

The central event bus with its rule delivering results to the digest's queue, the central topic and a mailbox (an
SQS queue with the email subscriptions' filter policy) run in-process on moto, which applies SNS filter policies
to SQS deliveries as SNS does and event patterns as EventBridge does; each member puts its result on the bus
from its own account (emulator/eventbridge.py adds the cross-account PutEvents moto lacks).
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from cert_cleanup import digest_handler
from cert_cleanup import job as member_job
from cert_cleanup.config import names
from cert_cleanup.config.settings import DigestSettings, Settings
from cert_cleanup.errors import ConfigError, RunFailed
from cert_cleanup.models import Action, Certificate, CertificateResult, FailedLookup, RunResult
from cert_cleanup.notify import message as message_module
from cert_cleanup.notify import publish
from cert_cleanup.org import digest, job
from emulator.eventbridge import MemberEvents
from tests.support import ACCOUNT, CONTEXT, SCHEDULED, Fake, every_call, new_execution_environment

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
MEMBERS = 50
# Accounts 0-2: an incident; 3-4: a failed lookup; 5-9: deletions; 10-13: expiring soon; the rest: nothing to do.
INCIDENTS, FAILED, DELETED, EXPIRING = range(3), range(3, 5), range(5, 10), range(10, 14)


def member_result(index: int) -> RunResult:
    account = f"{100000000000 + index}"
    run = RunResult(
        run_id=f"run-{index}",
        account=account,
        account_label=f"member-{index:02d}",
        dry_run=False,
        started_at=NOW - timedelta(hours=2),
    )

    def add(name: str, action: Action, days: int, used_by: tuple[str, ...] = ()) -> None:
        arn = f"arn:aws:iam::{account}:server-certificate/{name}"
        cert = Certificate(name, f"ASCA{index:04d}{name.upper()}", arn, "/", NOW + timedelta(days=days))
        run.certificates.append(CertificateResult(cert, action, "reason", used_by))

    add("web", Action.VALID, 200)
    if index in INCIDENTS:
        add("legacy", Action.IN_USE, -20, (f"arn:aws:elasticloadbalancing:eu-west-1:{account}:loadbalancer/lb",))
    if index in FAILED:
        run.errors.append(FailedLookup("elb", "eu-west-1", "X", "C", "m"))
        add("old", Action.USAGE_UNKNOWN, -20)
    if index in DELETED:
        add("gone", Action.DELETED, -40)
    if index in EXPIRING:
        add("soon", Action.EXPIRING_SOON, 10)
    return run


@pytest.fixture
def central(aws: Fake) -> dict[str, Any]:
    sns = aws.session.client("sns")
    sqs = aws.session.client("sqs")
    topic = sns.create_topic(Name="central")["TopicArn"]
    urls, arns = {}, {}
    for name in ("results", "mailbox"):
        urls[name] = sqs.create_queue(QueueName=name)["QueueUrl"]
        queue = sqs.get_queue_attributes(QueueUrl=urls[name], AttributeNames=["QueueArn"])["Attributes"]
        arns[name] = queue["QueueArn"]
    subscription = {"RawMessageDelivery": "true", "FilterPolicy": json.dumps(names.PEOPLE_FILTER_POLICY)}
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arns["mailbox"], Attributes=subscription)
    # The bus and its rule, as the organization stack makes them: results go to the digest's queue
    events = aws.session.client("events")
    bus = events.create_event_bus(Name="cert-cleanup-results")["EventBusArn"]
    events.put_rule(
        Name="results", EventBusName="cert-cleanup-results", EventPattern=json.dumps(names.RESULT_EVENT_PATTERN)
    )
    events.put_targets(
        Rule="results", EventBusName="cert-cleanup-results", Targets=[{"Id": "queue", "Arn": arns["results"]}]
    )
    aws.session.client("s3").create_bucket(Bucket="central-reports")
    settings = DigestSettings.model_validate(
        {
            names.ENV_DIGEST_QUEUE_URL: urls["results"],
            names.ENV_REPORT_BUCKET: "central-reports",
            names.ENV_SNS_TOPIC_ARN: topic,
        }
    )
    return {"sns": sns, "sqs": sqs, "topic": topic, "bus": bus, "settings": settings, **urls}


def publish_members(central: dict[str, Any]) -> None:
    for index in range(MEMBERS):  # what each member's function sends: its result, on the bus, from its account
        result = member_result(index)
        put(central, result.account, result)


def put(central: dict[str, Any], sender: str, result: RunResult) -> None:
    """What ``sender``'s function does: put ``result`` on its own default bus, whose rule forwards it to the
    central bus."""
    publish.put_result(MemberEvents(sender, central["bus"]), own_bus(sender), result)  # type: ignore[arg-type]


def own_bus(account: str) -> str:
    return f"arn:aws:events:us-east-1:{account}:event-bus/default"


def as_event(document: dict[str, Any], sender: str | None = None) -> str:
    """The queued message for ``document`` put on the bus by ``sender`` (by default the account it names)."""
    return digest.event_body(sender or str(document["account"]), document)


def queued(central: dict[str, Any], name: str) -> int:
    attributes = central["sqs"].get_queue_attributes(
        QueueUrl=central[name], AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def mail(central: dict[str, Any]) -> list[str]:
    messages = central["sqs"].receive_message(QueueUrl=central["mailbox"], MaxNumberOfMessages=10).get("Messages", [])
    return [message["Body"] for message in messages]


def reports(aws: Fake) -> dict[str, str]:
    s3 = aws.session.client("s3")
    listed = s3.list_objects_v2(Bucket="central-reports", Prefix=names.REPORT_PREFIX).get("Contents", [])
    keys = [item["Key"] for item in listed]
    return {key: s3.get_object(Bucket="central-reports", Key=key)["Body"].read().decode() for key in keys}


def test_fifty_members_make_one_email_and_one_report(aws: Fake, central: dict[str, Any]) -> None:
    publish_members(central)
    assert queued(central, "results") == MEMBERS
    assert mail(central) == []  # no member emails a person

    outcome = job.send(central["settings"], aws.clients, now=NOW)

    assert outcome["accounts"] == MEMBERS
    assert outcome["needing_a_person"] == len(INCIDENTS) + len(FAILED) + len(EXPIRING)
    [email] = mail(central)
    lines = email.splitlines()
    first = [line for line in lines if line.startswith("  - ")]
    # Accounts that need a person, most urgent first (incidents, failures, expiring soon); then those whose
    # only news is what was deleted for them
    assert [line.split(" ")[3] for line in first] == [
        f"{100000000000 + index}" for index in [*INCIDENTS, *FAILED, *EXPIRING, *DELETED]
    ]
    assert first[0].endswith(": 1 expired certificate in use")
    assert first[-1].endswith(": 1 deleted")
    assert f"Cleaned up for them, no action needed ({len(DELETED)}):" in lines
    assert "Quiet accounts (nothing deleted, nothing expired or expiring soon): 36." in lines
    # The report: JSON and CSV, one CSV row per certificate per account, linked from the email
    files = reports(aws)
    [csv_key] = [key for key in files if key.endswith(".csv")]
    [json_key] = [key for key in files if key.endswith(".json")]
    assert f"s3://central-reports/{csv_key}" in email
    assert f"s3://central-reports/{json_key}" in email
    rows = list(csv.DictReader(io.StringIO(files[csv_key])))
    assert len(rows) == MEMBERS + len(INCIDENTS) + len(FAILED) + len(DELETED) + len(EXPIRING)
    assert {row["account"] for row in rows} == {f"{100000000000 + index}" for index in range(MEMBERS)}
    assert len(json.loads(files[json_key])["accounts"]) == MEMBERS
    # The queue is empty, and the digest's own email was not collected as a result
    assert queued(central, "results") == 0


def test_a_failed_digest_leaves_every_result_queued_for_the_next(aws: Fake, central: dict[str, Any]) -> None:
    publish_members(central)
    aws.fail("s3", "PutObject", "ServiceUnavailable", status=503)

    with pytest.raises(Exception, match="ServiceUnavailable"):
        job.send(central["settings"], aws.clients, now=NOW)

    assert queued(central, "results") == MEMBERS  # released at once, nothing lost
    assert mail(central) == []
    assert reports(aws) == {}

    # The next digest (the fault gone) reports every account
    aws.heal()
    outcome = job.send(central["settings"], aws.clients, now=NOW + timedelta(days=1))
    assert outcome["accounts"] == MEMBERS
    assert queued(central, "results") == 0


def test_an_account_with_two_queued_runs_keeps_both_runs_deletions() -> None:
    first, second = member_result(5), member_result(5)
    second.run_id, second.started_at = "run-later", NOW
    second.certificates = [row for row in second.certificates if row.action is not Action.DELETED]
    bodies = [as_event(run.as_dict()) for run in (second, first)]

    summary = digest.build(bodies, now=NOW)

    [report] = summary.accounts
    assert report.runs == 2
    assert report.run_id == "run-later"
    assert [row["name"] for row in report.rows() if row["action"] == "deleted"] == ["gone"]
    assert report.kinds() == []  # nothing for a person: the deletion is news, not work
    assert summary.done_for_them() == [report]


def test_a_message_that_is_not_a_result_is_counted_not_fatal(aws: Fake, central: dict[str, Any]) -> None:
    with pytest.raises(digest.NotAResult):
        digest.parse_result("hello")
    with pytest.raises(digest.NotAResult):
        digest.parse_result('{"AlarmName": "x"}')
    # Given two such messages in the queue beside the members' results
    publish_members(central)
    for body in ("hello", '{"AlarmName": "x"}'):
        central["sqs"].send_message(QueueUrl=central["results"], MessageBody=body)

    outcome = job.send(central["settings"], aws.clients, now=NOW)

    # Then the digest is made of the results, says how many messages it dropped, and removes them too
    assert (outcome["accounts"], outcome["rejected"], outcome["messages"]) == (MEMBERS, 2, MEMBERS + 2)
    [email] = mail(central)
    assert "Messages that were not a cert-cleanup result (dropped): 2." in email
    assert queued(central, "results") == 0


def test_bad_digest_settings_name_the_variable_before_any_aws_call(aws: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the digest function's environment with two bad values and one missing
    monkeypatch.setenv(names.ENV_DIGEST_QUEUE_URL, "queue")
    monkeypatch.setenv(names.ENV_REPORT_BUCKET, "Bad_Bucket")
    monkeypatch.delenv(names.ENV_SNS_TOPIC_ARN, raising=False)

    # When the entry point is invoked, counting every call of every client of the process (it builds its own)
    with (
        new_execution_environment(job.lambda_settings, job.default_clients),
        every_call() as calls,
        pytest.raises(ConfigError) as raised,
    ):
        digest_handler.lambda_handler({}, _context(seconds_left=900))

    # Then it fails naming each variable, before any AWS call
    message = str(raised.value)
    assert "DIGEST_QUEUE_URL: must be an SQS queue URL, got 'queue'" in message
    assert "REPORT_BUCKET: must be an S3 bucket name, got 'Bad_Bucket'" in message
    assert "SNS_TOPIC_ARN: Field required" in message
    assert sum(calls.values()) == 0


def test_the_digest_logs_under_the_service_name_its_stack_gives_it() -> None:
    # Given the digest function's environment (infra/components/digest.py sets the variable)
    code = "from cert_cleanup.config.observability import logger; print(logger.service, end='')"
    environment = {**os.environ, "POWERTOOLS_SERVICE_NAME": f"{names.SERVICE_NAME}-digest"}
    answer = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True)
    assert answer.stdout == "cert-cleanup-digest"
    # And outside Lambda, with no variable: cert-cleanup
    environment.pop("POWERTOOLS_SERVICE_NAME")
    answer = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True)
    assert answer.stdout == "cert-cleanup"


def _queue_bodies(central: dict[str, Any], bodies: list[str]) -> None:
    for start in range(0, len(bodies), 10):
        entries = [{"Id": str(index), "MessageBody": body} for index, body in enumerate(bodies[start : start + 10])]
        central["sqs"].send_message_batch(QueueUrl=central["results"], Entries=entries)


def _small_result(index: int) -> str:
    return as_event(
        {"account": f"{200000000000 + index}", "run_id": f"r{index}", "started_at": NOW.isoformat(), "counts": {}}
    )


class DeepQueue:
    """An SQS queue of many messages, as the SQS API reference describes ReceiveMessage: up to
    MaxNumberOfMessages (10) per call, each received message invisible until deleted, none left: no message.
    moto's in-process queue takes minutes at this depth (it scans every message per call)."""

    def __init__(self, bodies: list[str]) -> None:
        self.waiting = {str(index): body for index, body in enumerate(bodies)}
        self.deleted = 0

    def receive_message(self, *, MaxNumberOfMessages: int, **_: Any) -> dict[str, Any]:
        ids = list(self.waiting)[:MaxNumberOfMessages]
        messages = [{"MessageId": i, "ReceiptHandle": i, "Body": self.waiting.pop(i)} for i in ids]
        return {"Messages": messages} if messages else {}

    def delete_message_batch(self, *, Entries: list[dict[str, str]], **_: Any) -> dict[str, Any]:
        assert len(Entries) <= 10  # SQS refuses more: TooManyEntriesInBatchRequest
        self.deleted += len(Entries)
        return {"Successful": [{"Id": entry["Id"]} for entry in Entries], "Failed": []}


def test_every_queued_result_is_read_past_ten_thousand(
    aws: Fake, central: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given 10,050 results queued (the digest used to stop at 10,000 and say nothing of the rest)
    deep = DeepQueue([_small_result(index) for index in range(10_050)])
    clients = aws.clients
    real = clients.client

    def client(service: str, region: str | None = None) -> Any:
        return deep if service == "sqs" else real(service, region)

    monkeypatch.setattr(clients, "client", client)
    outcome = job.send(central["settings"], clients, now=NOW)

    assert (outcome["accounts"], outcome["messages"], outcome["left_queued"]) == (10_050, 10_050, 0)
    assert (deep.waiting, deep.deleted) == ({}, 10_050)
    [email] = mail(central)
    assert "10050 accounts reported since the last digest." in email
    assert "NOT ALL RESULTS WERE READ" not in email


def test_a_digest_short_of_time_stops_reading_says_so_and_loses_nothing(aws: Fake, central: dict[str, Any]) -> None:
    # Given 100 results, and an invocation whose time runs short after the first 3 batches
    _queue_bodies(central, [_small_result(index) for index in range(100)])
    checks = iter([1000.0] * 3 + [job.FINISH_SECONDS - 1] * 100)

    outcome = job.send(central["settings"], aws.clients, now=NOW, seconds_left=lambda: next(checks))

    # Then what was read is reported and removed, the rest stays queued, and the email says how many
    assert outcome["messages"] == 30
    assert outcome["left_queued"] == 70
    assert queued(central, "results") == 70
    [email] = mail(central)
    assert "NOT ALL RESULTS WERE READ: about 70 results stay queued for the next digest" in email
    # And the next digest reads them
    outcome = job.send(central["settings"], aws.clients, now=NOW)
    assert (outcome["messages"], outcome["left_queued"]) == (70, 0)


def test_the_email_stays_within_sns_limits_however_many_certificates_are_in_use(
    aws: Fake, central: dict[str, Any]
) -> None:
    # Given 150 accounts with 20 expired certificates in use each (the email once listed them all, and SNS
    # refused it: "Message too long", so there was no digest while the incident lasted)
    bodies = []
    for index in range(150):
        run = member_result(index)
        run.certificates = []
        for number in range(20):
            name = f"legacy-api-certificate-{number:02d}"
            arn = f"arn:aws:iam::{run.account}:server-certificate/{name}"
            cert = Certificate(name, f"ASCA{index:04d}{number:04d}", arn, "/", NOW - timedelta(days=20))
            users = tuple(
                f"arn:aws:elasticloadbalancing:eu-west-1:{run.account}:loadbalancer/app/lb-{n}" for n in range(5)
            )
            run.certificates.append(CertificateResult(cert, Action.IN_USE, "expired; in use", users))
        bodies.append(as_event(run.as_dict()))
    _queue_bodies(central, bodies)

    outcome = job.send(central["settings"], aws.clients, now=NOW)

    [email] = mail(central)
    assert outcome["email_bytes"] == len(email.encode()) < 64 * 1024  # SNS's limit is 256 KB; an email, far less
    assert "... and 17 more certificates in use (see the report)" in email
    assert "... and 100 more (see the report)" in email  # 150 accounts, 50 listed
    assert "used by " in email
    assert " and 2 more" in email
    assert queued(central, "results") == 0


def test_the_digest_subject_has_the_one_subject_shape_and_drops_the_least_urgent_counts_first() -> None:
    bodies = [as_event(member_result(index).as_dict()) for index in range(MEMBERS)]
    assert digest.subject(digest.build(bodies, now=NOW)) == (
        "INCIDENT: cert-cleanup digest of 50 accounts: 9 need a person (3 with expired certificates in use)"
    )
    quiet = [as_event(member_result(index).as_dict()) for index in (5, 20)]
    assert digest.subject(digest.build(quiet, now=NOW)) == (
        "cert-cleanup digest of 2 accounts: 0 need a person, 1 cleaned up, 1 quiet"
    )


@pytest.fixture
def digest_env(central: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    settings = central["settings"]
    monkeypatch.setenv(names.ENV_DIGEST_QUEUE_URL, settings.queue_url)
    monkeypatch.setenv(names.ENV_REPORT_BUCKET, settings.report_bucket)
    monkeypatch.setenv(names.ENV_SNS_TOPIC_ARN, settings.sns_topic_arn)
    with new_execution_environment(job.lambda_settings, job.default_clients):
        yield central


def _context(seconds_left: float) -> SimpleNamespace:
    return SimpleNamespace(
        function_name="cert-cleanup-digest",
        memory_limit_in_mb=512,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:cert-cleanup-digest",
        aws_request_id="test-request",
        get_remaining_time_in_millis=lambda: int(seconds_left * 1000),
    )


def test_the_digest_entry_point_reads_its_environment_once_and_sends_one_digest(
    digest_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    publish_members(digest_env)
    outcome = digest_handler.lambda_handler({}, _context(seconds_left=900))
    assert (outcome["accounts"], outcome["left_queued"]) == (MEMBERS, 0)
    assert len(mail(digest_env)) == 1
    assert job.default_clients()._clients  # the entry point's own clients made the calls
    # The environment is read at the first invocation only (Lambda cannot change it without a new environment)
    monkeypatch.setenv(names.ENV_REPORT_BUCKET, "Not A Bucket")
    assert digest_handler.lambda_handler({}, _context(seconds_left=900))["accounts"] == 0


def test_the_digest_entry_point_stops_reading_with_the_invocation_s_time_left_to_finish(
    digest_env: dict[str, Any],
) -> None:
    publish_members(digest_env)
    outcome = digest_handler.lambda_handler({}, _context(seconds_left=job.FINISH_SECONDS))
    assert outcome["accounts"] == 0
    assert outcome["left_queued"] == queued(digest_env, "results") == MEMBERS
    [email] = mail(digest_env)
    assert "NOT ALL RESULTS WERE READ" in email


# --- Who sent it: a result counts for the account EventBridge says put it on the bus ---------------------------

VICTIM, ATTACKER = member_result(0).account, "999988887777"  # account 0 has an expired certificate in use


def _nothing_to_do(account: str, *, started_at: datetime, run_id: str = "forged") -> RunResult:
    """A result saying an account has nothing to do: what someone hiding an incident would send."""
    return RunResult(run_id=run_id, account=account, account_label="member-00", dry_run=False, started_at=started_at)


def _victim_line(email: str) -> list[str]:
    return [line for line in email.splitlines() if line.startswith(f"  - {VICTIM}")]


def test_a_result_claiming_another_account_changes_nothing_of_it_and_is_named(
    aws: Fake, central: dict[str, Any]
) -> None:
    # Given the victim's genuine result (an expired certificate in use), and a later result saying it has nothing
    # to do, put on the bus by another account of the organization
    genuine = member_result(0)
    put(central, VICTIM, genuine)
    forged = _nothing_to_do(VICTIM, started_at=NOW - timedelta(minutes=30))
    put(central, ATTACKER, forged)

    outcome = job.send(central["settings"], aws.clients, now=NOW)

    # Then the digest still says what the victim's own result says, and names the attempt
    assert (outcome["accounts"], outcome["not_believed"]) == (1, 1)
    [email] = mail(central)
    assert _victim_line(email) == [f"  - {VICTIM} (member-00): 1 expired certificate in use"]
    assert f"  - 1 result from account {ATTACKER} claimed to be another account ({VICTIM})" in email
    assert "Results not believed (1)" in email
    [json_key] = [key for key in reports(aws) if key.endswith(".json")]
    report = json.loads(reports(aws)[json_key])
    assert [account["account"] for account in report["accounts"]] == [VICTIM]
    assert report["not_believed"] == [
        {
            "sender": ATTACKER,
            "claimed_account": VICTIM,
            "why": digest.FORGED,
            "run_id": "forged",
            "started_at": forged.started_at.isoformat(),
        }
    ]
    assert queued(central, "results") == 0


def test_a_result_dated_in_the_future_does_not_pin_latest(aws: Fake, central: dict[str, Any]) -> None:
    # Given the victim's genuine result, and one for it (from its own account) dated a year ahead
    put(central, VICTIM, member_result(0))
    future = _nothing_to_do(VICTIM, started_at=NOW + timedelta(days=365))
    put(central, VICTIM, future)
    # And one a little ahead, within the clock skew allowed: believed (it is the latest)
    skewed = member_result(1)
    skewed.started_at = NOW + digest.CLOCK_SKEW - timedelta(seconds=1)
    put(central, skewed.account, skewed)

    outcome = job.send(central["settings"], aws.clients, now=NOW)

    assert (outcome["accounts"], outcome["not_believed"]) == (2, 1)
    [email] = mail(central)
    assert _victim_line(email) == [f"  - {VICTIM} (member-00): 1 expired certificate in use"]
    assert (
        f"  - 1 result from account {VICTIM} dated in the future (run forged, started {future.started_at.isoformat()})"
        in (email)
    )
    # The next digest holds the genuine run, not the future one: a genuine later result replaces it
    later = member_result(0)
    later.run_id, later.started_at = "next-day", NOW + timedelta(days=1) - timedelta(hours=2)
    later.certificates = []
    put(central, VICTIM, later)
    job.send(central["settings"], aws.clients, now=NOW + timedelta(days=1))
    [email] = mail(central)
    assert "Quiet accounts (nothing deleted, nothing expired or expiring soon): 1." in email
    assert "not believed" not in email


def test_a_result_older_than_the_one_held_is_not_believed(aws: Fake, central: dict[str, Any]) -> None:
    # Given a digest that believed the victim's result of this morning (an incident)
    put(central, VICTIM, member_result(0))
    job.send(central["settings"], aws.clients, now=NOW)
    mail(central)
    # When an older result of the victim's (nothing to do, from last week) arrives before the next digest
    replay = _nothing_to_do(VICTIM, started_at=NOW - timedelta(days=7), run_id="last-week")
    put(central, VICTIM, replay)

    outcome = job.send(central["settings"], aws.clients, now=NOW + timedelta(hours=20))

    # Then it is not taken as the account's state, and the digest names it
    assert (outcome["accounts"], outcome["not_believed"]) == (0, 1)
    [email] = mail(central)
    assert f"1 result from account {VICTIM} older than the result already held (run last-week" in email


def test_a_redelivered_result_never_counts_a_deletion_twice(aws: Fake, central: dict[str, Any]) -> None:
    # Given a member's result with a deletion, delivered twice (SNS, EventBridge and SQS deliver at least once)
    result = member_result(DELETED[0])
    body = as_event(result.as_dict())
    _queue_bodies(central, [body, body])

    outcome = job.send(central["settings"], aws.clients, now=NOW)

    assert (outcome["accounts"], outcome["duplicates"], outcome["messages"]) == (1, 1, 2)
    [email] = mail(central)
    assert f"  - {result.account} (member-05): 1 deleted" in email
    assert "Results delivered twice (counted once): 1." in email
    [json_key] = [key for key in reports(aws) if key.endswith(".json")]
    [account] = json.loads(reports(aws)[json_key])["accounts"]
    assert (account["runs"], account["counts"]["deleted"]) == (1, 1)
    # And delivered once more after that digest: still not counted again
    _queue_bodies(central, [body])
    outcome = job.send(central["settings"], aws.clients, now=NOW + timedelta(hours=1))
    assert (outcome["accounts"], outcome["duplicates"]) == (0, 1)


def _organization(aws: Fake) -> tuple[str, list[str]]:
    """An organization managed by the digest's account: one OU (with a child OU) of three member accounts."""
    organizations = aws.session.client("organizations")
    organizations.create_organization(FeatureSet="ALL")
    root = organizations.list_roots()["Roots"][0]["Id"]
    unit = organizations.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"]["Id"]
    child = organizations.create_organizational_unit(ParentId=unit, Name="prod")["OrganizationalUnit"]["Id"]
    accounts = []
    for index, parent in enumerate((unit, unit, child)):
        status = organizations.create_account(AccountName=f"member-{index}", Email=f"m{index}@example.com")
        account = status["CreateAccountStatus"]["AccountId"]
        organizations.move_account(AccountId=account, SourceParentId=root, DestinationParentId=parent)
        accounts.append(account)
    return unit, accounts


def test_accounts_silent_for_two_intervals_are_listed_as_not_reporting(aws: Fake, central: dict[str, Any]) -> None:
    # Given the targeted OU's three accounts, of which two report on the first day
    unit, (talking, stopping, never) = _organization(aws)
    settings = central["settings"].model_copy(update={"organizational_unit_ids": (unit,), "run_interval_minutes": 1440})
    for account in (talking, stopping):
        put(central, account, _nothing_to_do(account, started_at=NOW - timedelta(hours=2), run_id="d0"))
    first = job.send(settings, aws.clients, now=NOW)
    assert first["not_reporting"] == []  # the OU's accounts are expected from now on
    mail(central)
    # When only one of them reports over the next two days
    for day in (1, 2):
        run = _nothing_to_do(talking, started_at=NOW + timedelta(days=day, hours=-2), run_id=f"d{day}")
        put(central, talking, run)

    outcome = job.send(settings, aws.clients, now=NOW + timedelta(days=2))

    # Then the other two are listed as not reporting: one since its last result, one since it was first listed
    assert outcome["not_reporting"] == sorted([stopping, never])
    [email] = mail(central)
    assert "Accounts not reporting (2): no result for more than a run interval" in email
    assert f"  - {stopping}: last result 2026-11-28 06:00 UTC" in email
    assert f"  - {never}: no result since it was listed in the targeted OUs, 2026-11-28 08:00 UTC" in email
    assert "2 not reporting" in digest.subject(digest.Digest([], 0, NOW, silent=[object()] * 2))  # type: ignore[list-item]


def test_accounts_that_cannot_be_listed_leave_a_warning_and_the_known_ones_are_still_checked(
    aws: Fake, central: dict[str, Any]
) -> None:
    # Given a digest whose role Organizations refuses (not the management account or a delegated administrator)
    settings = central["settings"].model_copy(update={"organizational_unit_ids": ("ou-ab12-11111111",)})
    account = member_result(20).account
    put(central, account, member_result(20))
    aws.fail("organizations", "DescribeOrganization", "AccessDeniedException")
    job.send(settings, aws.clients, now=NOW)
    mail(central)

    outcome = job.send(settings, aws.clients, now=NOW + timedelta(days=2))

    # Then the digest goes out, says what it could not do, and still lists the account it heard from before
    assert outcome["not_reporting"] == [account]
    [email] = mail(central)
    assert "WARNING: the targeted OUs' accounts could not be listed (AccessDeniedException" in email
    assert f"  - {account}: last result" in email


# --- The member's side: its result goes on the bus, from its own account ------------------------------------------


def _member(aws: Fake, central: dict[str, Any], monkeypatch: pytest.MonkeyPatch, events: MemberEvents) -> Settings:
    """This account as an organization member: an expired unused certificate, its EventBridge client ``events``."""
    aws.certificate("old", days=-30)
    clients, real = aws.clients, aws.clients.client
    monkeypatch.setattr(
        clients, "client", lambda service, region=None: events if service == "events" else real(service, region)
    )
    return Settings.build(
        SNS_TOPIC_ARN=central["topic"], RESULTS_BUS_ARN=own_bus(ACCOUNT), TELL_PEOPLE="never", UPDATE_FINDINGS="false"
    )


def test_a_member_puts_its_result_on_the_bus_and_the_digest_reports_it(
    aws: Fake, central: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    events = MemberEvents(ACCOUNT, central["bus"])
    settings = _member(aws, central, monkeypatch, events)
    aws.count_calls()

    member_job.handle(SCHEDULED, CONTEXT, settings=settings, clients=aws.clients)

    # The result went on the bus, the topic got nothing (members tell no one), and the digest reports the account
    [event] = events.sent
    assert (event["account"], event["source"], event["detail"]["account"]) == (ACCOUNT, "cert-cleanup", ACCOUNT)
    assert aws.calls_to("sns") == 0
    outcome = job.send(central["settings"], aws.clients, now=datetime.now(UTC))
    assert (outcome["accounts"], outcome["not_believed"]) == (1, 0)
    [email] = mail(central)
    assert f"  - {ACCOUNT}: 1 deleted" in email


class RefusingEvents(MemberEvents):
    """PutEvents answered with the entry not taken (the call succeeds: FailedEntryCount says so, PutEvents API)."""

    def put_events(self, *, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}]}


def test_a_result_the_bus_does_not_take_fails_the_run(
    aws: Fake, central: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _member(aws, central, monkeypatch, RefusingEvents(ACCOUNT, central["bus"]))

    with pytest.raises(RunFailed, match="first: events PutEvents in us-east-1: InternalFailure"):
        member_job.handle(SCHEDULED, CONTEXT, settings=settings, clients=aws.clients)

    assert queued(central, "results") == 0


def test_a_result_too_large_for_an_event_is_summarised_to_fit() -> None:
    # Given a run of 1,000 certificates (IAM's highest quota) each used by 40 load balancers
    run = member_result(0)
    run.certificates = []
    for number in range(1000):
        name = f"certificate-with-a-long-name-{number:04d}"
        cert = Certificate(
            name, f"ASCA{number:012d}", f"arn:aws:iam::{run.account}:server-certificate/{name}", "/", NOW
        )
        users = tuple(
            f"arn:aws:elasticloadbalancing:eu-west-1:{run.account}:loadbalancer/app/lb-{n}/abc" for n in range(40)
        )
        run.certificates.append(CertificateResult(cert, Action.IN_USE, "expired; in use", users))

    detail = message_module.event_detail(run)

    size = message_module.event_entry_size(names.RESULT_EVENT_SOURCE, names.RESULT_DETAIL_TYPE, detail)
    assert size <= message_module.EVENT_SIZE_LIMIT < len(json.dumps(run.as_dict()))
    document = json.loads(detail)
    assert document["counts"]["in_use"] == 1000
    assert document["certificates_summarised"] is True
    # And the digest still counts every certificate in use
    [report] = digest.build([as_event(document)], now=NOW).accounts
    assert report.total["in_use"] == 1000
