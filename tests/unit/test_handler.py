"""The Lambda entry point: settings from the environment, events checked before any AWS call."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cert_cleanup import invocation
from cert_cleanup.errors import ConfigError, InvalidEventError
from cert_cleanup.handler import lambda_handler
from tests.support import CONTEXT, Fake

SCHEDULED = {"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}, "id": "e-1"}


@pytest.fixture
def lambda_env(aws: Fake, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fake]:
    topic = aws.session.client("sns").create_topic(Name="t")["TopicArn"]
    monkeypatch.setenv("SNS_TOPIC_ARN", topic)
    monkeypatch.setenv("REGIONS", "us-east-1")
    invocation.lambda_settings.cache_clear()
    invocation.default_clients.cache_clear()
    yield aws
    invocation.lambda_settings.cache_clear()
    invocation.default_clients.cache_clear()


def test_handler_runs_a_scheduled_event(lambda_env: Fake) -> None:
    lambda_env.certificate("old", days=-10)
    result = lambda_handler(SCHEDULED, CONTEXT)
    assert result["account"] == "123456789012"
    assert [(row["name"], row["action"]) for row in result["certificates"]] == [("old", "deleted")]
    assert lambda_env.names_left() == set()


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


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("GRACE_DAYS", "abc", "GRACE_DAYS: must be a whole number of days, got 'abc'"),
        ("GRACE_DAYS", "-3", "GRACE_DAYS: Input should be greater than or equal to 0"),
        ("REGIONS", "eu-west-1,mars-north-1x", "REGIONS: not a region name: 'mars-north-1x'"),
        ("DRY_RUN", "flase", "DRY_RUN: must be true or false"),
        ("TELL_PEOPLE", "sometimes", "TELL_PEOPLE: must be one of on-change, every-run, never, got 'sometimes'"),
        ("REMINDER_DAYS", "14,,3", "REMINDER_DAYS: must be a comma-separated list of whole numbers of days"),
        ("RUN_INTERVAL_MINUTES", "0", "RUN_INTERVAL_MINUTES: Input should be greater than or equal to 1"),
        ("REEVALUATE_CONFIG_RULE", "yes", "REEVALUATE_CONFIG_RULE: must be true or false"),
    ],
)
def test_bad_setting_fails_before_any_aws_call(
    lambda_env: Fake, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    lambda_env.certificate("old", days=-10)
    monkeypatch.setenv(variable, value)
    lambda_env.count_calls()

    with pytest.raises(ConfigError) as raised:
        lambda_handler(SCHEDULED, CONTEXT)

    assert message in str(raised.value)
    assert sum(lambda_env.calls.values()) == 0
    assert lambda_env.names_left() == {"old"}


def test_missing_topic_fails_before_any_aws_call(lambda_env: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SNS_TOPIC_ARN")
    lambda_env.count_calls()
    with pytest.raises(ConfigError, match="SNS_TOPIC_ARN: required"):
        lambda_handler(SCHEDULED, CONTEXT)
    assert sum(lambda_env.calls.values()) == 0


@pytest.mark.parametrize(
    "event", [{"dry_run": "yes"}, {"delete": True}, {"detail-type": "Object Created", "source": "aws.s3"}]
)
def test_bad_event_fails_before_any_aws_call(lambda_env: Fake, event: Any) -> None:
    lambda_env.certificate("old", days=-10)
    lambda_env.count_calls()
    with pytest.raises(InvalidEventError):
        lambda_handler(event, CONTEXT)
    assert sum(lambda_env.calls.values()) == 0
    assert lambda_env.names_left() == {"old"}


def test_account_comes_from_sts_outside_lambda(aws: Fake) -> None:
    assert invocation.account_id(None, aws.clients) == "123456789012"
