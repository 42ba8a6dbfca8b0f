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


def test_command_line_strings_are_parsed() -> None:
    config = DeployConfig.from_values(
        {
            "notificationEmails": '["a@example.com", "b@example.org"]',
            "dryRun": "TRUE",
            "graceDays": "14",
            "archive": "false",
            "schedule": "rate(12 hours)",
        }
    )
    assert config.notification_emails == ("a@example.com", "b@example.org")
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
        ("schedule", "every day", "context 'schedule': must be 'rate(N unit)' or 'cron(minutes hours day-of-month"),
        ("schedule", "rate(1 days)", "context 'schedule': use the singular unit"),
        ("schedule", "rate(2 day)", "context 'schedule': use the plural unit"),
        ("schedule", "rate(0 minutes)", "context 'schedule': a rate must be at least 1, got 'rate(0 minutes)'"),
        ("schedule", "cron(0 6 * * ?)", "context 'schedule': a cron expression has 6 fields, got 5"),
        ("schedule", "cron(0 25 * * ? *)", "context 'schedule': cron hours: must be 0-23, got '25'"),
        ("schedule", "cron(60 6 * * ? *)", "context 'schedule': cron minutes: must be 0-59, got '60'"),
        ("schedule", "cron(0 6 32 * ? *)", "context 'schedule': cron day-of-month: must be 1-31, got '32'"),
        ("schedule", "cron(0 6 ? 13 MON *)", "context 'schedule': cron month: must be 1-12 or JAN-DEC, got '13'"),
        ("schedule", "cron(0 6 ? * FUNDAY *)", "context 'schedule': cron day-of-week: must be 1-7 or SUN-SAT"),
        ("schedule", "cron(0 6 * * * *)", "context 'schedule': cron: exactly one of day-of-month and day-of-week"),
        ("schedule", "cron(0 6 ? * ? *)", "context 'schedule': cron: exactly one of day-of-month and day-of-week"),
        ("schedule", "cron(? 6 * * ? *)", "context 'schedule': cron minutes: '?' is allowed in day-of-month"),
        ("schedule", "cron(0/0 6 * * ? *)", "context 'schedule': cron minutes: the step after '/' must be"),
        ("schedule", "cron(0 6 ? * 2#6 *)", "context 'schedule': cron day-of-week: '#' takes the week of the month"),
        ("schedule", "cron(0 6 * * ? 2300)", "context 'schedule': cron year: must be 1970-2199, got '2300'"),
        ("digestSchedule", "cron(0 8 * * ? *", "context 'digestSchedule': must be 'rate(N unit)'"),
        ("graceDays", -1, "context 'graceDays': Input should be greater than or equal to 0, got -1"),
        ("graceDays", "ten", "context 'graceDays': must be a whole number, got 'ten'"),
        ("expiryWarningDays", 100000, "context 'expiryWarningDays': Input should be less than or equal to 3650"),
        ("dryRun", "yes", "context 'dryRun': must be true or false, got 'yes'"),
        ("regions", "eu-west-1", "context 'regions': removed: every run searches all regions enabled for the account"),
        ("exemptTagKey", "aws:no", "context 'exemptTagKey': must be a valid IAM tag key"),
        ("logRetentionDays", 42, "context 'logRetentionDays': must be one of CloudWatch Logs' retention periods"),
        (
            "notificationEmail",
            "a@example.com",
            "context 'notificationEmail': unknown setting; did you mean notificationEmails?",
        ),
        ("gracedays", 3, "context 'gracedays': unknown setting; did you mean graceDays?"),
        ("shedule", "rate(1 day)", "context 'shedule': unknown setting; did you mean schedule?"),
        ("zzz", 1, "context 'zzz': unknown setting; known keys: accountLabel, archive,"),
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


@pytest.mark.parametrize(
    "schedule",
    [
        "rate(1 minute)",
        "rate(5 minutes)",
        "cron(0 6 * * ? *)",
        "cron(0/15 * ? * MON-FRI *)",
        "cron(0 8 L * ? *)",
        "cron(0 8 LW * ? *)",
        "cron(0 8 15W * ? *)",
        "cron(0 8 ? * 6L *)",
        "cron(0 8 ? * 2#1 *)",
        "cron(0 8 ? JAN,JUL SUN 2027)",
        "cron(0 18 ? * MON-FRI 2026-2030)",
        "cron(30 23 1-7 * ? *)",
    ],
)
def test_schedules_eventbridge_accepts_are_accepted(schedule: str) -> None:
    assert DeployConfig.from_values({"schedule": schedule, "runIntervalMinutes": 60}).schedule == schedule


def test_a_mistyped_key_fails_synth_and_the_cdk_own_keys_do_not() -> None:
    with pytest.raises(
        ContextError, match="context 'notificationEmail': unknown setting; did you mean notificationEmails"
    ):
        synthesize({"notificationEmail": "secops@example.com"})
    _, stack = synthesize(
        {
            "@aws-cdk/core:enablePartitionLiterals": True,
            "aws:cdk:enable-path-metadata": True,
            "availability-zones:account=111122223333:region=eu-west-1": ["eu-west-1a"],
            "acknowledged-issue-numbers": [12345],
        }
    )
    assert stack.node.try_get_context("aws:cdk:enable-path-metadata") is True
