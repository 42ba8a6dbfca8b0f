"""Settings: defaults, and a clear error naming the variable for each kind of bad value."""

from __future__ import annotations

import pytest

from cert_cleanup.config.settings import Settings
from cert_cleanup.errors import ConfigError
from tests.support import as_documented, documented_defaults

TOPIC = "arn:aws:sns:us-east-1:123456789012:cert-cleanup"
LAMBDA = {"SNS_TOPIC_ARN": TOPIC, "LEASE_TABLE": "CertCleanup-RunLease-1A2B3C"}  # what the stack always sets


def test_defaults_when_only_the_topic_is_set() -> None:
    settings = Settings.from_env(LAMBDA, require_topic=True)
    assert settings.sns_topic_arn == TOPIC
    assert settings.lease_table == "CertCleanup-RunLease-1A2B3C"
    assert settings.dry_run is False
    assert settings.grace_days == 0
    assert settings.expiry_warning_days == 30
    assert settings.exempt_tag_key == "cert-cleanup:exempt"
    assert settings.archive_bucket is None


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            **LAMBDA,
            "DRY_RUN": "TRUE",
            "GRACE_DAYS": " 14 ",
            "EXPIRY_WARNING_DAYS": "45",
            "EXEMPT_TAG_KEY": "team:keep",
            "ARCHIVE_BUCKET": "my-archive.bucket-1",
        },
        require_topic=True,
    )
    assert settings.dry_run is True
    assert settings.grace_days == 14
    assert settings.expiry_warning_days == 45
    assert settings.exempt_tag_key == "team:keep"
    assert settings.archive_bucket == "my-archive.bucket-1"


@pytest.mark.parametrize("value", ["eu-west-1", "", " "])
def test_regions_is_refused_by_name_whatever_its_value(value: str) -> None:
    # A narrowed search cannot prove a certificate unused: the setting is gone, and saying so beats ignoring it
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({**LAMBDA, "REGIONS": value}, require_topic=True)
    assert "REGIONS: no longer accepted: every run searches all regions enabled for the account" in str(raised.value)
    assert "cert-cleanup scan --region" in str(raised.value)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("GRACE_DAYS", "abc", "GRACE_DAYS: must be a whole number of days, got 'abc'"),
        ("GRACE_DAYS", "-1", "GRACE_DAYS: Input should be greater than or equal to 0, got -1"),
        ("GRACE_DAYS", "1.5", "GRACE_DAYS: must be a whole number of days"),
        ("EXPIRY_WARNING_DAYS", "99999", "EXPIRY_WARNING_DAYS: Input should be less than or equal to 3650"),
        ("DRY_RUN", "yes", "DRY_RUN: must be true or false, got 'yes'"),
        ("LEASE_TABLE", "my table", "LEASE_TABLE: must be a DynamoDB table name, got 'my table'"),
        ("ARCHIVE_BUCKET", "My_Bucket", "ARCHIVE_BUCKET: must be an S3 bucket name"),
        ("ARCHIVE_PREFIX", "archive/", "ARCHIVE_PREFIX: no longer accepted: archives are always written under"),
        ("EXEMPT_TAG_KEY", "aws:reserved", "EXEMPT_TAG_KEY: must be a valid IAM tag key"),
        ("SNS_TOPIC_ARN", "my-topic", "SNS_TOPIC_ARN: must be an SNS topic ARN, got 'my-topic'"),
    ],
)
def test_bad_value_names_the_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({**LAMBDA, variable: value}, require_topic=True)
    assert message in str(raised.value)


def test_topic_is_required_in_lambda() -> None:
    with pytest.raises(ConfigError, match="SNS_TOPIC_ARN: required, not set"):
        Settings.from_env({}, require_topic=True)


def test_several_bad_values_are_all_named() -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({"GRACE_DAYS": "x", "DRY_RUN": "maybe"}, require_topic=False)
    assert "GRACE_DAYS" in str(raised.value)
    assert "DRY_RUN" in str(raised.value)


def test_the_documented_defaults_are_the_function_s() -> None:
    documented = documented_defaults("configuration.md", "variable")
    defaults = {
        field.alias: as_documented(field.get_default(call_default_factory=True), list_style="comma")
        for field in Settings.model_fields.values()
        if field.alias in documented
    }
    assert len(documented) >= 10
    assert documented == defaults, "docs/configuration.md's defaults must be the function's"


def test_the_function_needs_its_run_lease() -> None:
    # Without the lease, runs that meet would act at once: the function refuses to start rather than run alone
    with pytest.raises(ConfigError, match="LEASE_TABLE: required, not set"):
        Settings.from_env({"SNS_TOPIC_ARN": TOPIC}, require_topic=True)
