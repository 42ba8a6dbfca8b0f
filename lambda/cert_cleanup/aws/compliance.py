"""AWS Config: after a run deleted something, ask the rule behind Security Hub IAM.26 to evaluate again.

Best effort. The rule (managed identifier ``IAM_SERVER_CERTIFICATE_EXPIRATION_CHECK``) exists only
in us-east-1 and cn-north-1 and runs periodically, so without this the finding stays FAILED for up
to a day after the certificate is gone. Nothing here can fail a run or keep a certificate: every
outcome, including an error, becomes one line of the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cert_cleanup.aws.clients import AWS_ERRORS, error_code, error_message
from cert_cleanup.aws.permissions import On, Permission
from cert_cleanup.config import names

if TYPE_CHECKING:
    from mypy_boto3_config import ConfigServiceClient

# IAM.26's rule exists only in these regions: the calls are made there only.
PERMISSIONS = (
    Permission("config:DescribeConfigRules", regions=names.CONFIG_RULE_REGION_LIST),
    Permission("config:StartConfigRulesEvaluation", On.CONFIG_RULES, regions=names.CONFIG_RULE_REGION_LIST),
)
# StartConfigRulesEvaluation takes at most 25 rule names per request.
MAX_RULES_PER_REQUEST = 25
# An evaluation of the rule is already running: it will see the deletion too.
ALREADY_RUNNING = "ResourceInUseException"


@dataclass(frozen=True, slots=True)
class Reevaluation:
    """What the request to AWS Config came to: ``started`` rule names, or why none was started."""

    region: str | None
    started: tuple[str, ...] = ()
    note: str = ""
    warning: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"region": self.region, "started": list(self.started), "note": self.note, "warning": self.warning}


def rule_region(partition: str | None) -> str | None:
    """Where the IAM.26 rule can exist in ``partition``; None where AWS Config does not offer it."""
    return names.CONFIG_RULE_REGIONS.get(partition or "")


def reevaluate(config: ConfigServiceClient | None, region: str | None) -> Reevaluation:
    """Find the account's rules built on the managed rule and start their evaluation."""
    if config is None or region is None:
        return Reevaluation(region, note=f"{names.CONFIG_RULE_IDENTIFIER} does not exist in this partition")
    try:
        rule_names = [
            rule["ConfigRuleName"]
            for page in config.get_paginator("describe_config_rules").paginate()
            for rule in page["ConfigRules"]
            if rule.get("Source", {}).get("Owner") == "AWS"
            and rule.get("Source", {}).get("SourceIdentifier") == names.CONFIG_RULE_IDENTIFIER
            and rule.get("ConfigRuleState", "ACTIVE") == "ACTIVE"
        ]
    except AWS_ERRORS as exc:
        return Reevaluation(region, note=_failed("DescribeConfigRules", exc), warning=True)
    if not rule_names:
        return Reevaluation(
            region, note=f"no AWS Config rule {names.CONFIG_RULE_IDENTIFIER} in {region}: nothing to refresh"
        )
    started: list[str] = []
    for start in range(0, len(rule_names), MAX_RULES_PER_REQUEST):
        batch = rule_names[start : start + MAX_RULES_PER_REQUEST]
        try:
            config.start_config_rules_evaluation(ConfigRuleNames=batch)
        except AWS_ERRORS as exc:
            if error_code(exc) == ALREADY_RUNNING:
                started.extend(batch)
                continue
            return Reevaluation(region, tuple(started), _failed("StartConfigRulesEvaluation", exc), warning=True)
        started.extend(batch)
    return Reevaluation(region, tuple(started), f"AWS Config re-evaluates {', '.join(started)} in {region}")


def _failed(operation: str, exc: BaseException) -> str:
    return (
        f"AWS Config {operation} failed ({error_code(exc)}: {error_message(exc)}); "
        "Security Hub IAM.26 updates at the rule's next periodic evaluation instead"
    )
