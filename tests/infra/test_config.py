"""CDK context: defaults, string forms from `-c`, and errors naming the key."""

from __future__ import annotations

import pytest

from infra.config import LOG_RETENTION_DAYS, ContextError, DeployConfig
from infra.stack import LOG_RETENTION
from tests.infra.conftest import synthesize


def test_defaults() -> None:
    config = DeployConfig.from_values({})
    assert config.schedule == "rate(1 day)"
    assert config.dry_run is False
    assert config.archive is True
    assert config.notification_emails == ()
    assert config.regions == ()


def test_command_line_strings_are_parsed() -> None:
    config = DeployConfig.from_values(
        {
            "notificationEmails": "a@example.com, b@example.org",
            "regions": '["eu-west-1"]',
            "dryRun": "TRUE",
            "graceDays": "14",
            "archive": "false",
            "schedule": "rate(12 hours)",
        }
    )
    assert config.notification_emails == ("a@example.com", "b@example.org")
    assert config.regions == ("eu-west-1",)
    assert config.dry_run is True
    assert config.grace_days == 14
    assert config.archive is False


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "notificationEmails",
            ["ops@example.com", "not-an-email"],
            "context 'notificationEmails': not an email address: 'not-an-email'",
        ),
        ("notificationEmails", "[broken", "context 'notificationEmails': not a JSON list"),
        ("schedule", "every day", "context 'schedule': must be 'rate(N unit)' or 'cron(m h dom mon dow year)'"),
        ("schedule", "rate(1 days)", "context 'schedule': use the singular unit"),
        ("schedule", "rate(2 day)", "context 'schedule': use the plural unit"),
        ("schedule", "cron(0 6 * * ?)", "context 'schedule': must be"),
        ("graceDays", -1, "context 'graceDays': Input should be greater than or equal to 0, got -1"),
        ("graceDays", "ten", "context 'graceDays': must be a whole number, got 'ten'"),
        ("expiryWarningDays", 100000, "context 'expiryWarningDays': Input should be less than or equal to 3650"),
        ("dryRun", "yes", "context 'dryRun': must be true or false, got 'yes'"),
        ("regions", "eu-west-1,Frankfurt", "context 'regions': not a region name: 'Frankfurt'"),
        ("exemptTagKey", "aws:no", "context 'exemptTagKey': must be a valid IAM tag key"),
        ("logRetentionDays", 42, "context 'logRetentionDays': must be one of CloudWatch Logs' retention periods"),
        ("unknownKey", 1, "context 'unknownKey': unknown context key"),
    ],
)
def test_bad_value_names_the_context_key(key: str, value: object, message: str) -> None:
    with pytest.raises(ContextError) as raised:
        DeployConfig.from_values({key: value})
    assert message in str(raised.value)


def test_bad_context_fails_synth_naming_the_key() -> None:
    with pytest.raises(ContextError, match="context 'graceDays'"):
        synthesize({"graceDays": "-5"})


def test_every_allowed_retention_maps_to_a_cdk_retention() -> None:
    assert set(LOG_RETENTION_DAYS) == set(LOG_RETENTION)
