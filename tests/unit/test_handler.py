"""The Lambda entry point: settings from the environment, events checked before any AWS call.

The handler builds its own clients (``job.default_clients``), so "no AWS call" is counted on every
client of the process (``tests.support.every_call``), not on a test's session.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cert_cleanup import job
from cert_cleanup.errors import ConfigError, InvalidEventError
from cert_cleanup.handler import lambda_handler
from emulator import seed
from tests.support import CONTEXT, SCHEDULED, Fake, every_call, new_execution_environment
from tests.unit.test_run import published

pytestmark = pytest.mark.safety


@pytest.fixture
def lambda_env(aws: Fake, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fake]:
    topic = aws.session.client("sns").create_topic(Name="t")["TopicArn"]
    monkeypatch.setenv("SNS_TOPIC_ARN", topic)
    monkeypatch.setenv("LEASE_TABLE", seed.lease_table(aws.session))
    with new_execution_environment(job.lambda_settings, job.default_clients):
        yield aws


def test_handler_runs_a_scheduled_event_with_its_own_clients(lambda_env: Fake) -> None:
    lambda_env.certificate("old", days=-10)
    with every_call() as calls:
        result = lambda_handler(SCHEDULED, CONTEXT)
    assert result["account"] == "123456789012"
    assert [(row["name"], row["action"]) for row in result["certificates"]] == [("old", "deleted")]
    assert lambda_env.names_left() == set()
    # the calls were the handler's own clients' (the test's session made none of them)
    assert calls["iam.DeleteServerCertificate"] == 1
    assert job.default_clients()._clients  # built by the handler


def test_settings_are_read_once_per_execution_environment(lambda_env: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a first invocation that read valid settings
    lambda_env.certificate("old", days=-10)
    first = lambda_handler({"dry_run": True}, CONTEXT)
    # When the environment changes afterwards (it cannot, in Lambda, without a new environment)
    monkeypatch.setenv("GRACE_DAYS", "abc")
    second = lambda_handler({"dry_run": True}, CONTEXT)
    # Then the second invocation still uses the settings validated at the first
    assert [row["action"] for row in first["certificates"]] == ["would_delete"]
    assert [row["action"] for row in second["certificates"]] == ["would_delete"]


def _fails_before_any_call(event: Any, raises: type[Exception]) -> tuple[str, int]:
    with every_call() as calls, pytest.raises(raises) as raised:
        lambda_handler(event, CONTEXT)
    return str(raised.value), sum(calls.values())


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("GRACE_DAYS", "abc", "GRACE_DAYS: must be a whole number of days, got 'abc'"),
        ("GRACE_DAYS", "-3", "GRACE_DAYS: Input should be greater than or equal to 0"),
        ("REGIONS", "eu-west-1", "REGIONS: no longer accepted: every run searches all regions enabled"),
        ("DRY_RUN", "flase", "DRY_RUN: must be true or false"),
        ("TELL_PEOPLE", "sometimes", "TELL_PEOPLE: must be one of on-change, every-run, never, got 'sometimes'"),
        ("REMINDER_DAYS", "14,,3", "REMINDER_DAYS: must be a comma-separated list of whole numbers of days"),
        ("RUN_INTERVAL_MINUTES", "0", "RUN_INTERVAL_MINUTES: Input should be greater than or equal to 1"),
        ("REEVALUATE_CONFIG_RULE", "yes", "REEVALUATE_CONFIG_RULE: must be true or false"),
    ],
)
def test_a_bad_setting_fails_before_any_aws_call(
    lambda_env: Fake, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    lambda_env.certificate("old", days=-10)
    monkeypatch.setenv(variable, value)

    error, calls = _fails_before_any_call(SCHEDULED, ConfigError)

    assert message in error
    assert calls == 0
    assert lambda_env.names_left() == {"old"}


def test_a_missing_topic_fails_before_any_aws_call(lambda_env: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SNS_TOPIC_ARN")
    error, calls = _fails_before_any_call(SCHEDULED, ConfigError)
    assert "SNS_TOPIC_ARN: required" in error
    assert calls == 0


@pytest.mark.parametrize(
    "event",
    [
        {"dry_run": "yes"},
        {"delete": True},
        {"detail-type": "Object Created", "source": "aws.s3"},
        {**SCHEDULED, "dry_run": True},
        {**SCHEDULED, "detail": {"dry_run": True}},
    ],
)
def test_a_bad_event_fails_before_any_aws_call(lambda_env: Fake, event: Any) -> None:
    lambda_env.certificate("old", days=-10)
    _, calls = _fails_before_any_call(event, InvalidEventError)
    assert calls == 0
    assert lambda_env.names_left() == {"old"}


def test_outside_lambda_the_account_comes_from_sts(aws: Fake) -> None:
    with every_call() as calls:
        assert job.account_id(None, aws.clients) == "123456789012"
    assert calls == {"sts.GetCallerIdentity": 1}


def test_a_dry_run_says_what_made_it_one(lambda_env: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a deployment with DRY_RUN=true, then one without it invoked with {"dry_run": true}
    lambda_env.certificate("old", days=-10)
    monkeypatch.setenv("DRY_RUN", "true")
    lambda_handler(SCHEDULED, CONTEXT)
    job.lambda_settings.cache_clear()
    monkeypatch.setenv("DRY_RUN", "false")
    lambda_handler({"dry_run": True}, CONTEXT)

    # Then each summary says why nothing was deleted: what a person changes to delete
    deployed, asked = [sent["message"]["email"] for sent in published(lambda_env)]
    assert f"DRY RUN: nothing was deleted, because {job.dry_run_because(deployed=True, asked=False)}." in deployed
    assert "deployed with DRY_RUN=true" in deployed
    assert f"DRY RUN: nothing was deleted, because {job.dry_run_because(deployed=False, asked=True)}." in asked
    assert 'the event asked for one ({"dry_run": true})' in asked
    assert lambda_env.names_left() == {"old"}
