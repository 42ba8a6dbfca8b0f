"""People are told when something starts, changes or is due; machines get every run.

The 60-day test runs the real invocation once per simulated day against one in-process account.
Two SQS queues are subscribed to the topic: one with the email subscriptions' filter policy (what
a mailbox receives; moto applies SNS filter policies to SQS deliveries) and one without (machines).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders

from cert_cleanup import job
from cert_cleanup.config import names
from cert_cleanup.config.events import Trigger
from cert_cleanup.config.settings import Settings
from cert_cleanup.errors import RunFailed
from cert_cleanup.models import Action, Certificate, CertificateResult, DeleteAnswer, FailedLookup, RunResult
from cert_cleanup.notify import when
from emulator import seed
from tests.support import CONTEXT, SCHEDULED, Fake

T0 = datetime(2026, 1, 1, 6, 0, tzinfo=UTC)  # every simulated run is at 06:00 UTC
DAY = timedelta(days=1)
CALENDAR = when.Calendar(interval=DAY, reminder_days=(30, 14, 7, 3, 1), expiry_warning_days=30, grace_days=3)


def one_row(action: Action, expiration: datetime, now: datetime, answer: DeleteAnswer | None = None) -> RunResult:
    run = RunResult(run_id="r", account="123456789012", account_label=None, dry_run=False, started_at=now)
    cert = Certificate("c", "ASCAC", "arn:aws:iam::123456789012:server-certificate/c", "/", expiration)
    run.certificates.append(CertificateResult(cert, action, "r", delete_answer=answer))
    return run


def told(
    action: Action, expiration: datetime, now: datetime, *, scheduled: bool = True, answer: DeleteAnswer | None = None
) -> bool:
    return bool(
        when.reasons_to_tell(
            one_row(action, expiration, now, answer),
            CALENDAR,
            trigger=Trigger.SCHEDULE if scheduled else Trigger.BY_HAND,
        )
    )


@pytest.mark.parametrize("action", [Action.DELETED, Action.FAILED, Action.USAGE_UNKNOWN])
def test_deletions_failures_and_unchecked_certificates_are_always_told(action: Action) -> None:
    assert told(action, T0 - 90 * DAY, T0)


def test_valid_and_exempt_certificates_are_never_told() -> None:
    assert not told(Action.VALID, T0 + 300 * DAY, T0)
    assert not told(Action.EXEMPT, T0 - 5 * DAY, T0)


def test_a_failed_lookup_and_a_run_by_hand_are_told() -> None:
    quiet = one_row(Action.VALID, T0 + 300 * DAY, T0)
    assert when.reasons_to_tell(quiet, CALENDAR, trigger=Trigger.BY_HAND) == ["the run was started by hand"]
    quiet.errors.append(FailedLookup("elb", "us-east-1", "X", "C", "m"))
    assert when.reasons_to_tell(quiet, CALENDAR, trigger=Trigger.SCHEDULE) == ["1 lookup failed"]


def test_expiring_soon_is_told_once_per_reminder_crossed_since_the_last_run() -> None:
    expiration = T0 + 14 * DAY - timedelta(hours=1)  # 14 days left was crossed an hour ago
    assert told(Action.EXPIRING_SOON, expiration, T0)
    assert not told(Action.EXPIRING_SOON, expiration, T0 + DAY)
    assert not told(Action.EXPIRING_SOON, expiration, T0 - DAY)


def test_the_first_scheduled_run_after_a_deploy_tells_the_whole_current_state() -> None:
    quiet = one_row(Action.VALID, T0 + 300 * DAY, T0)
    deployed = T0 - timedelta(hours=10)  # the evening before the 06:00 run
    [reason] = when.reasons_to_tell(quiet, CALENDAR, trigger=Trigger.SCHEDULE, deployed_at=deployed)
    assert reason.startswith(
        "the first scheduled run since cert-cleanup was deployed or changed (2025-12-31 20:00 UTC)"
    )
    # a rate() schedule's first run comes one interval after the schedule was created, just after the function
    late_first = one_row(Action.VALID, T0 + 300 * DAY, T0)
    assert when.reasons_to_tell(
        late_first, CALENDAR, trigger=Trigger.SCHEDULE, deployed_at=T0 - DAY - timedelta(minutes=3)
    )
    # the next scheduled run, and a run after a deploy older than one interval, are quiet again
    tomorrow = one_row(Action.VALID, T0 + 300 * DAY, T0 + DAY)
    assert when.reasons_to_tell(tomorrow, CALENDAR, trigger=Trigger.SCHEDULE, deployed_at=deployed) == []
    assert when.reasons_to_tell(quiet, CALENDAR, trigger=Trigger.SCHEDULE, deployed_at=T0 - 2 * DAY) == []
    # a deploy after the run started (clock skew) is not this run's
    assert when.reasons_to_tell(quiet, CALENDAR, trigger=Trigger.SCHEDULE, deployed_at=T0 + DAY) == []


def test_a_delete_iam_refused_is_told_whatever_the_date() -> None:
    # what the code reads is IAM's answer, not the reason's wording
    assert told(Action.IN_USE, T0 - 40 * DAY, T0, answer=DeleteAnswer.REFUSED_IN_USE)
    assert not told(Action.IN_USE, T0 - 40 * DAY, T0)


@pytest.fixture
def mailbox(aws: Fake) -> tuple[str, Any, str, str]:
    """The topic, and two queues on it: what an email subscription receives, and what machines receive."""
    sns = aws.session.client("sns")
    sqs = aws.session.client("sqs")
    topic = sns.create_topic(Name="cert-cleanup")["TopicArn"]
    queues = []
    for name, policy in (("people", names.PEOPLE_FILTER_POLICY), ("machines", None)):
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        attributes = {"RawMessageDelivery": "true"}
        if policy:
            attributes["FilterPolicy"] = json.dumps(policy)
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attributes)
        queues.append(url)
    return topic, sqs, queues[0], queues[1]


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    documents = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            documents.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return documents


def test_sixty_daily_runs_tell_a_person_on_the_days_that_matter(aws: Fake, mailbox: tuple[str, Any, str, str]) -> None:
    topic, sqs, people, machines = mailbox
    iam = aws.iam

    def at(day: int) -> datetime:  # noon of a simulated day
        return T0 + day * DAY + timedelta(hours=6)

    seed.upload(iam, "stale", at(-100))  # expired long ago, unused: deleted on day 0
    legacy = seed.upload(iam, "legacy", at(-10))["Arn"]  # expired, in use by a Classic ELB
    renew = seed.upload(iam, "renew-me", at(40))["Arn"]  # an ALB's SNI certificate, expires day 40
    seed.upload(iam, "spare", at(20))  # unused, expires day 20
    valid = seed.upload(iam, "valid", at(400))["Arn"]
    seed.upload(iam, "kept", at(-50), tags={seed.EXEMPT_TAG: "true"})
    seed.classic_elb(aws.session, "us-east-1", "legacy-lb", legacy)
    seed.alb_with_certificates(aws.session, "us-east-1", "shop", valid, [renew])
    aws.deploy_function(at=T0 - timedelta(hours=10))  # deployed the evening before the first run
    config = Settings.build(SNS_TOPIC_ARN=topic, GRACE_DAYS=3)

    def unavailable(**_: Any) -> Any:
        return AWSResponse("https://fake", 400, HTTPHeaders(), None), {"Error": {"Code": "ServiceUnavailable"}}

    elb_events = aws.clients.client("elb", "us-east-1").meta.events
    failing = "before-call.elastic-load-balancing.DescribeLoadBalancers"
    for day in range(60):
        if day == 30:  # one day, one lookup fails: the run fails closed and a person is told
            elb_events.register(failing, unavailable)
        try:
            job.handle(SCHEDULED, CONTEXT, settings=config, clients=aws.clients, now=T0 + day * DAY)
        except RunFailed:
            assert day == 30
        elb_events.unregister(failing, unavailable)

    def day_of(document: dict[str, Any]) -> int:
        return (datetime.fromisoformat(document["started_at"]) - T0).days

    mail = {day_of(document): document for document in drain(sqs, people)}
    every_run = [day_of(document) for document in drain(sqs, machines)]
    assert sorted(every_run) == list(range(60))
    expected = {
        0: "stale deleted, and the first scheduled run after the deploy",
        **dict.fromkeys([1, 8, 15, 22, 29, 36, 43, 50, 57], "legacy in use: weekly (its grace ended on day -7)"),
        **dict.fromkeys([7, 14, 18, 20], "spare: 14, 7, 3, 1 days left (30 fell before day 0)"),
        21: "spare expired: grace period starts",
        23: "spare: grace period ends before the next run",
        24: "spare deleted",
        **dict.fromkeys([11, 27, 34, 38, 40], "renew-me: 30, 14, 7, 3, 1 days left"),
        41: "renew-me expired: grace period starts",
        # 43: renew-me's grace period ends before the next run (and legacy's weekly reminder)
        44: "renew-me expired and in use: an incident",
        **dict.fromkeys([51, 58], "renew-me in use: weekly"),
        30: "a lookup failed",
    }
    assert sorted(mail) == sorted(expected)
    assert all(document["audience"] == "people" for document in mail.values())
    assert all(document["told_because"] for document in mail.values())
    assert "renew-me: expired and still in use, since the last run" in mail[44]["told_because"]
    assert any("legacy" in reason and "weekly" in reason for reason in mail[8]["told_because"])
    assert mail[30]["errors"]
    assert mail[30]["counts"]["deleted"] == 0
    first = "the first scheduled run since cert-cleanup was deployed or changed (2025-12-31 20:00 UTC)"
    told_first = [day for day, document in mail.items() if any(first in reason for reason in document["told_because"])]
    assert told_first == [0]
    # used_by says where to replace a certificate a reminder is about
    renew_reminder = next(row for row in mail[11]["certificates"] if row["name"] == "renew-me")
    assert renew_reminder["action"] == "expiring_soon"
    [user] = renew_reminder["used_by"]
    assert user.startswith("arn:aws:elasticloadbalancing:us-east-1:")


@pytest.mark.parametrize(
    ("kind", "deployed", "first", "second"),
    [
        # a cron(0 6 * * ? *) schedule, deployed 5 minutes before 06:00: the 06:00 run is the first, the next is not
        ("cron", T0 - timedelta(minutes=5), T0, T0 + DAY),
        # a rate(1 day) schedule first fires one interval after CloudFormation creates it, just after the function
        ("rate", T0 - DAY - timedelta(minutes=3), T0, T0 + DAY),
    ],
)
def test_only_the_first_scheduled_run_after_a_deploy_tells_the_whole_state(
    kind: str, deployed: datetime, first: datetime, second: datetime
) -> None:
    calendar = when.Calendar(
        interval=DAY, reminder_days=(30, 14, 7, 3, 1), expiry_warning_days=30, grace_days=3, schedule_kind=kind
    )
    quiet = [one_row(Action.VALID, at + 300 * DAY, at) for at in (first, second)]
    told = [when.reasons_to_tell(row, calendar, trigger=Trigger.SCHEDULE, deployed_at=deployed) for row in quiet]
    assert told[0]
    assert told[0][0].startswith("the first scheduled run since cert-cleanup was deployed")
    assert told[1] == []
