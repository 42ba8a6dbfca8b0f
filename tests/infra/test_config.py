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


@pytest.mark.parametrize(
    ("schedule", "minutes"),
    [
        ("rate(1 day)", 1440),
        ("rate(12 hours)", 720),
        ("rate(30 minutes)", 30),
        ("rate(7 days)", 10080),
        ("cron(0 6 * * ? *)", 1440),
        ("cron(15 2 ? * * *)", 1440),
    ],
)
def test_the_time_between_runs_is_read_from_the_schedule(schedule: str, minutes: int) -> None:
    assert DeployConfig.from_values({"schedule": schedule}).interval_minutes == minutes


@pytest.mark.parametrize("schedule", ["cron(0 */6 * * ? *)", "cron(0 6 ? * MON *)", "cron(0 6 1 * ? *)"])
def test_a_cron_that_does_not_run_once_a_day_needs_its_interval(schedule: str) -> None:
    with pytest.raises(ContextError, match="context 'runIntervalMinutes': required when the schedule"):
        DeployConfig.from_values({"schedule": schedule})
    given = DeployConfig.from_values({"schedule": schedule, "runIntervalMinutes": "360"})
    assert given.interval_minutes == 360


def test_people_settings_from_the_command_line() -> None:
    config = DeployConfig.from_values(
        {"tellPeople": "every-run", "reminderDays": "14,3", "reevaluateConfigRule": "false"}
    )
    assert (config.tell_people, config.reminder_days, config.reevaluate_config_rule) == ("every-run", (14, 3), False)
    with pytest.raises(ContextError, match="context 'tellPeople'"):
        DeployConfig.from_values({"tellPeople": "sometimes"})
    with pytest.raises(ContextError, match="context 'reminderDays'"):
        DeployConfig.from_values({"reminderDays": "14,-1"})
