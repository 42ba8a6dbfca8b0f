"""After a deletion, AWS Config re-evaluates the rule behind Security Hub IAM.26: best effort, never a failure.

moto stores Config rules but has no StartConfigRulesEvaluation; the emulator adds it (existing rule
names only, 1 to 25 per request) and records each accepted request.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from cert_cleanup import job
from cert_cleanup.config import names
from emulator import aws_fakes
from tests.support import ACCOUNT, SCHEDULED, Fake, summary_settings
from tests.unit.test_partitions import _account_in, _upload

pytestmark = pytest.mark.safety

SECURITY_HUB_RULE = "securityhub-iam-server-certificate-expiration-check-a1b2c3"


def add_rule(session: boto3.Session, name: str, identifier: str, region: str = "us-east-1") -> None:
    session.client("config", region_name=region).put_config_rule(
        ConfigRule={
            "ConfigRuleName": name,
            "Source": {"Owner": "AWS", "SourceIdentifier": identifier},
            "MaximumExecutionFrequency": "TwentyFour_Hours",
        }
    )


def run(aws: Fake, **values: Any) -> dict[str, Any]:
    # Security Hub's write-back is tests/unit/test_securityhub.py's: off here, so warnings are Config's only
    config = summary_settings(aws.session, **{"UPDATE_FINDINGS": "false", **values})
    return job.handle(SCHEDULED, None, settings=config, clients=aws.clients)


def config_calls(aws: Fake) -> int:
    return sum(count for (service, _, _), count in aws.calls.items() if service == "config")


@pytest.fixture
def security_hub(aws: Fake) -> Fake:
    """An account where Security Hub enabled IAM.26's rule, next to an unrelated rule."""
    add_rule(aws.session, SECURITY_HUB_RULE, names.CONFIG_RULE_IDENTIFIER)
    add_rule(aws.session, "s3-versioning", "S3_BUCKET_VERSIONING_ENABLED")
    aws.count_calls()
    return aws


def test_a_deletion_asks_config_to_re_evaluate_the_iam_26_rule_only(security_hub: Fake) -> None:
    security_hub.certificate("old", days=-30)
    document = run(security_hub)
    assert document["counts"]["deleted"] == 1
    assert aws_fakes.SETTINGS.config_evaluations == [(ACCOUNT, "us-east-1", [SECURITY_HUB_RULE])]
    assert document["compliance"]["started"] == [SECURITY_HUB_RULE]
    assert document["warnings"] == []


@pytest.mark.parametrize(
    ("values", "days"),
    [({}, 10), ({"DRY_RUN": "true"}, -30), ({names.ENV_REEVALUATE_CONFIG_RULE: "false"}, -30)],
    ids=["nothing deleted", "dry run", "turned off"],
)
def test_no_deletion_no_config_call(security_hub: Fake, values: dict[str, str], days: int) -> None:
    security_hub.certificate("cert", days=days)
    document = run(security_hub, **values)
    assert config_calls(security_hub) == 0
    assert document["compliance"] is None


@pytest.mark.parametrize("code", ["AccessDeniedException", "LimitExceededException", "ServiceUnavailableException"])
def test_a_config_failure_is_a_warning_never_a_failed_run(security_hub: Fake, code: str) -> None:
    security_hub.certificate("old", days=-30)
    security_hub.fail("config", "StartConfigRulesEvaluation", code, "no")
    document = run(security_hub)  # does not raise RunFailed
    assert document["counts"]["deleted"] == 1
    assert document["errors"] == []
    assert len(document["warnings"]) == 1
    assert f"StartConfigRulesEvaluation failed ({code}: no)" in document["warnings"][0]


def test_an_evaluation_already_running_counts_as_started(security_hub: Fake) -> None:
    security_hub.certificate("old", days=-30)
    security_hub.fail("config", "StartConfigRulesEvaluation", "ResourceInUseException", "running")
    document = run(security_hub)
    assert document["compliance"]["started"] == [SECURITY_HUB_RULE]
    assert document["warnings"] == []


def test_without_the_rule_there_is_nothing_to_refresh(aws: Fake) -> None:
    aws.certificate("old", days=-30)
    document = run(aws)
    assert document["compliance"]["started"] == []
    assert "nothing to refresh" in document["compliance"]["note"]
    assert document["warnings"] == []


def test_the_rule_is_found_in_us_east_1_from_a_function_in_another_region(aws: Fake) -> None:
    add_rule(aws.session, SECURITY_HUB_RULE, names.CONFIG_RULE_IDENTIFIER)
    session, clients, signed, context = _account_in("eu-west-1", aws)
    _upload(session, "old", -30)
    config = summary_settings(session)
    job.handle(SCHEDULED, context, settings=config, clients=clients)
    assert ("config", "us-east-1") in signed.calls
    assert aws_fakes.SETTINGS.config_evaluations == [(ACCOUNT, "us-east-1", [SECURITY_HUB_RULE])]


def test_china_uses_cn_north_1_and_govcloud_has_no_such_rule(aws: Fake) -> None:
    china, china_clients, china_signed, china_context = _account_in("cn-north-1", aws)
    add_rule(china, "iam-cert-expiry", names.CONFIG_RULE_IDENTIFIER, region="cn-north-1")
    _upload(china, "old", -30)
    document = job.handle(SCHEDULED, china_context, settings=summary_settings(china), clients=china_clients)
    assert document["compliance"]["started"] == ["iam-cert-expiry"]
    assert ("config", "cn-north-1") in china_signed.calls

    gov, gov_clients, gov_signed, gov_context = _account_in("us-gov-west-1", aws)
    _upload(gov, "old", -30)
    document = job.handle(SCHEDULED, gov_context, settings=summary_settings(gov), clients=gov_clients)
    assert document["counts"]["deleted"] == 1
    assert document["compliance"]["note"] == f"{names.CONFIG_RULE_IDENTIFIER} does not exist in this partition"
    assert "config" not in gov_signed.services()
