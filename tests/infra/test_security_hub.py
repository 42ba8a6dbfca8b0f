"""The stack's Security Hub side: which findings start a run (as EventBridge matches them), the custom action, and
that a run's own write-back never starts another run."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template

from emulator import seed
from infra.components import security_hub
from tests.infra.conftest import synthesize
from tests.infra.eventbridge import matches
from tests.infra.policy import Resolver

ACCOUNT = "123456789012"


def rules(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each Security Hub rule's logical id -> its pattern as deployed in ACCOUNT (references resolved)."""
    resolve = Resolver(template, account=ACCOUNT, region="us-east-1")
    return {
        key: resolve(value["Properties"]["EventPattern"])
        for key, value in template["Resources"].items()
        if value["Type"] == "AWS::Events::Rule"
        and "aws.securityhub" in value["Properties"].get("EventPattern", {}).get("source", [])
    }


def started_by(template: dict[str, Any], event: dict[str, Any]) -> list[str]:
    return [key for key, pattern in rules(template).items() if matches(pattern, event)]


@pytest.fixture(scope="module")
def default() -> dict[str, Any]:
    _, stack = synthesize({})
    return dict(Template.from_stack(stack).to_json())


ASFF = seed.iam26_finding(ACCOUNT)
OCSF = seed.iam26_ocsf_finding(ACCOUNT)


@pytest.mark.parametrize(
    "event",
    [seed.finding_event(ASFF), seed.finding_event(OCSF, detail_type="Findings Imported V2")],
    ids=["asff", "ocsf"],
)
def test_a_new_failed_iam_26_finding_of_this_account_starts_one_run(default: dict[str, Any], event: Any) -> None:
    [rule] = started_by(default, event)
    function = next(k for k, v in default["Resources"].items() if v["Type"] == "AWS::Lambda::Function")
    [target] = default["Resources"][rule]["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [function, "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 0  # a failed run is the alarm's, not a retry's


@pytest.mark.parametrize(
    "finding",
    [
        seed.iam26_finding(ACCOUNT, workflow="NOTIFIED"),  # the run's own write-back: an event too
        seed.iam26_finding(ACCOUNT, workflow="RESOLVED"),
        seed.iam26_finding(ACCOUNT, workflow="SUPPRESSED"),
        seed.iam26_finding(ACCOUNT, status="PASSED"),
        seed.iam26_finding(ACCOUNT, record_state="ARCHIVED"),
        seed.iam26_finding(ACCOUNT, control="IAM.3"),
        seed.iam26_finding("210987654321"),
    ],
    ids=["notified", "resolved", "suppressed", "passed", "archived", "another control", "another account"],
)
def test_nothing_else_starts_a_run_and_a_run_s_own_update_never_does(default: dict[str, Any], finding: Any) -> None:
    assert started_by(default, seed.finding_event(finding)) == []


@pytest.mark.parametrize(
    ("status_id", "status"),
    [(2, "Fail"), (4, "Fail"), (3, "Fail"), (1, "Pass")],
    ids=["in progress (the run's update)", "resolved (the run's update)", "suppressed", "passing"],
)
def test_an_ocsf_finding_the_run_updated_or_that_passes_starts_nothing(
    default: dict[str, Any], status_id: int, status: str
) -> None:
    finding = seed.iam26_ocsf_finding(ACCOUNT, status=status, status_id=status_id)
    assert started_by(default, seed.finding_event(finding, detail_type="Findings Imported V2")) == []


def test_the_ocsf_rule_ignores_the_case_of_the_compliance_status(default: dict[str, Any]) -> None:
    finding = seed.iam26_ocsf_finding(ACCOUNT, status="FAIL")
    assert len(started_by(default, seed.finding_event(finding, detail_type="Findings Imported V2"))) == 1


def test_the_custom_action_is_off_by_default_and_findings_can_be_turned_off(default: dict[str, Any]) -> None:
    assert not [v for v in default["Resources"].values() if v["Type"] == "AWS::SecurityHub::ActionTarget"]
    _, stack = synthesize({"findingsStartRuns": "false"})
    assert rules(dict(Template.from_stack(stack).to_json())) == {}


def test_the_custom_action_sends_its_own_event_to_the_function() -> None:
    _, stack = synthesize({"securityHubCustomAction": "true", "findingsStartRuns": "false"})
    template = dict(Template.from_stack(stack).to_json())
    [(action_id, action)] = [
        (k, v) for k, v in template["Resources"].items() if v["Type"] == "AWS::SecurityHub::ActionTarget"
    ]
    properties = action["Properties"]
    # AWS::SecurityHub::ActionTarget: Id up to 20 alphanumeric characters, Name up to 20 characters
    assert properties["Id"].isalnum()
    assert len(properties["Id"]) <= 20
    assert len(properties["Name"]) <= 20
    assert properties["Name"] == security_hub.ACTION_NAME
    action_arn = f"arn:aws:securityhub:us-east-1:{ACCOUNT}:action/custom/{properties['Id']}"
    [pattern] = rules(template).values()
    assert pattern["resources"] == [f"{action_id}.ActionTargetArn"]
    pattern["resources"] = [action_arn]  # GetAtt ActionTargetArn, as deployed
    assert matches(pattern, seed.custom_action_event(ASFF, action_arn))
    assert not matches(pattern, seed.custom_action_event(ASFF, action_arn.replace(properties["Id"], "Other")))
    assert not matches(pattern, seed.finding_event(ASFF))


def test_organization_mode_refuses_the_custom_action() -> None:
    import aws_cdk as cdk

    import app as cdk_app
    from tests.infra.conftest import ORG

    with pytest.raises(Exception, match="'securityHubCustomAction': single-account mode only"):
        cdk_app.build(cdk.App(context={**ORG, "securityHubCustomAction": "true"}))


def test_without_updates_the_role_has_no_security_hub_statement() -> None:
    _, stack = synthesize({"updateFindings": "false"})
    template = dict(Template.from_stack(stack).to_json())
    text = str([v for v in template["Resources"].values() if v["Type"] == "AWS::IAM::Policy"])
    assert "securityhub" not in text
    [function] = [v for v in template["Resources"].values() if v["Type"] == "AWS::Lambda::Function"]
    assert function["Properties"]["Environment"]["Variables"]["UPDATE_FINDINGS"] == "false"
