"""Where the Security Hub rules live and where they deliver, for stacks in each kind of region: IAM.26's findings
(and their events) exist only in us-east-1 (cn-north-1 in China, none in GovCloud) and the aggregation region, so
the rules must be there, and reach the function in its own region (infra/components/security_hub.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

import app as cdk_app
from emulator import seed
from infra.components import security_hub
from infra.config import ContextError
from tests.infra.eventbridge import matches
from tests.infra.policy import Request, Resolver, allowed, role_statements

ACCOUNT = "111122223333"
EMAILS = {"notificationEmails": ["secops@example.com"]}


@dataclass
class Rule:
    stack: str
    region: str  # where the rule lives
    detail_type: str
    pattern: dict[str, Any]  # as deployed: references resolved
    target: str  # the ARN it delivers to, resolved
    role: str | None  # the logical id of the role EventBridge delivers with
    template: dict[str, Any]


@dataclass
class Synthesized:
    rules: list[Rule]
    stacks: dict[str, str]  # stack name -> region
    warnings: list[str]
    templates: dict[str, dict[str, Any]]


def synth(monkeypatch: pytest.MonkeyPatch, region: str | None, **context: Any) -> Synthesized:
    """The account app as `cdk deploy` synthesizes it in ``region`` (None: without credentials)."""
    for name in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    if region:
        monkeypatch.setenv("CDK_DEFAULT_ACCOUNT", ACCOUNT)
        monkeypatch.setenv("CDK_DEFAULT_REGION", region)
    app = cdk.App(context={**EMAILS, **context})
    cdk_app.build(app)
    assembly = app.synth()
    found: list[Rule] = []
    warnings: list[str] = []
    for stack in assembly.stacks:
        where = stack.environment.region
        partition = security_hub.partition_of(where) if where != "unknown-region" else "aws"
        template = stack.template
        resolve = Resolver(template, account=ACCOUNT, region=where, partition=partition)
        for resource in template["Resources"].values():
            properties = resource.get("Properties", {})
            if resource["Type"] != "AWS::Events::Rule" or "aws.securityhub" not in json.dumps(properties):
                continue
            [target] = properties["Targets"]
            role = target.get("RoleArn", {}).get("Fn::GetAtt", [None])[0]
            found.append(
                Rule(
                    stack.stack_name,
                    where,
                    properties["EventPattern"]["detail-type"][0],
                    resolve(properties["EventPattern"]),
                    resolve(target["Arn"]),
                    role,
                    template,
                )
            )
        warnings += [str(m.entry.data) for m in stack.messages if m.level.name == "WARNING"]
    return Synthesized(
        found,
        {stack.stack_name: stack.environment.region for stack in assembly.stacks},
        warnings,
        {stack.stack_name: stack.template for stack in assembly.stacks},
    )


def function_arn(region: str, partition: str = "aws") -> str:
    return f"arn:{partition}:lambda:{region}:{ACCOUNT}:CleanupFunction47C7F3CA"


def bus(region: str, partition: str = "aws") -> str:
    return f"arn:{partition}:events:{region}:{ACCOUNT}:event-bus/default"


FINDINGS = ("Security Hub Findings - Imported", "Findings Imported V2")


def where_they_live(synthesized: Synthesized) -> set[tuple[str, str, str]]:
    return {(rule.region, rule.detail_type, rule.target) for rule in synthesized.rules}


@pytest.mark.parametrize("region", ["eu-west-1", "ap-southeast-2"])
def test_outside_us_east_1_the_rules_live_in_us_east_1_and_deliver_to_the_function_s_region(
    monkeypatch: pytest.MonkeyPatch, region: str
) -> None:
    synthesized = synth(monkeypatch, region)

    assert synthesized.stacks == {"CertCleanup": region, "CertCleanupFindings": "us-east-1"}
    assert where_they_live(synthesized) == {
        *(("us-east-1", kind, bus(region)) for kind in FINDINGS),
        *((region, kind, function_arn(region)) for kind in FINDINGS),
    }
    relay = synthesized.templates["CertCleanupFindings"]
    assert not [r for r in relay["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]


def test_in_cn_north_1_the_rules_are_in_the_stack_and_in_cn_northwest_1_they_live_in_cn_north_1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    beijing = synth(monkeypatch, "cn-north-1")
    assert beijing.stacks == {"CertCleanup": "cn-north-1"}
    assert where_they_live(beijing) == {("cn-north-1", kind, function_arn("cn-north-1", "aws-cn")) for kind in FINDINGS}

    ningxia = synth(monkeypatch, "cn-northwest-1")
    assert ningxia.stacks == {"CertCleanup": "cn-northwest-1", "CertCleanupFindings": "cn-north-1"}
    assert where_they_live(ningxia) == {
        *(("cn-north-1", kind, bus("cn-northwest-1", "aws-cn")) for kind in FINDINGS),
        *(("cn-northwest-1", kind, function_arn("cn-northwest-1", "aws-cn")) for kind in FINDINGS),
    }


def test_in_us_east_1_the_rules_are_in_the_stack_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    synthesized = synth(monkeypatch, "us-east-1")
    assert synthesized.stacks == {"CertCleanup": "us-east-1"}
    assert where_they_live(synthesized) == {("us-east-1", kind, function_arn("us-east-1")) for kind in FINDINGS}


@pytest.mark.parametrize("custom_action", [False, True])
def test_govcloud_gets_no_rule_and_synth_says_why(monkeypatch: pytest.MonkeyPatch, custom_action: bool) -> None:
    synthesized = synth(monkeypatch, "us-gov-west-1", securityHubCustomAction=str(custom_action).lower())

    assert synthesized.stacks == {"CertCleanup": "us-gov-west-1"}
    assert synthesized.rules == []
    assert not [r for r in synthesized.templates["CertCleanup"]["Resources"].values() if "SecurityHub" in r["Type"]]
    [warning] = [w for w in synthesized.warnings if "GovCloud" in w]
    assert "iam-server-certificate-expiration-check" in warning
    assert "does not exist there" in warning


def test_a_named_aggregation_region_holds_the_rules_instead_of_us_east_1(monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = synth(monkeypatch, "eu-west-1", securityHubAggregationRegion="eu-central-1")
    assert elsewhere.stacks == {"CertCleanup": "eu-west-1", "CertCleanupFindings": "eu-central-1"}
    assert {rule.region for rule in elsewhere.rules} == {"eu-west-1", "eu-central-1"}

    here = synth(monkeypatch, "eu-west-1", securityHubAggregationRegion="eu-west-1")
    assert here.stacks == {"CertCleanup": "eu-west-1"}
    assert where_they_live(here) == {("eu-west-1", kind, function_arn("eu-west-1")) for kind in FINDINGS}


@pytest.mark.parametrize("value", ["cn-north-1", "not a region"])
def test_an_aggregation_region_of_another_partition_or_malformed_is_refused_naming_the_key(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    with pytest.raises(ContextError, match="'securityHubAggregationRegion'"):
        synth(monkeypatch, "eu-west-1", securityHubAggregationRegion=value)


def test_without_a_known_region_synth_says_where_the_rules_would_have_to_be(monkeypatch: pytest.MonkeyPatch) -> None:
    synthesized = synth(monkeypatch, None)
    assert {rule.stack for rule in synthesized.rules} == {"CertCleanup"}
    [warning] = [w for w in synthesized.warnings if "region is not known at synth" in w]
    assert "us-east-1" in warning


@pytest.mark.parametrize("detail_type", FINDINGS)
def test_a_real_us_east_1_iam_26_event_reaches_the_function_of_a_eu_west_1_stack(
    monkeypatch: pytest.MonkeyPatch, detail_type: str
) -> None:
    # Given a stack deployed in eu-west-1, and the event Security Hub sends in us-east-1 (its Config rule's region)
    synthesized = synth(monkeypatch, "eu-west-1")
    ocsf = detail_type == "Findings Imported V2"
    finding = seed.iam26_ocsf_finding(ACCOUNT) if ocsf else seed.iam26_finding(ACCOUNT)
    event = seed.finding_event(finding, detail_type=detail_type)
    assert event["region"] == "us-east-1"

    # When us-east-1's default bus receives it: exactly one rule there matches, and forwards it to eu-west-1's bus
    [forward] = [r for r in synthesized.rules if r.region == "us-east-1" and matches(r.pattern, event)]
    assert forward.target == bus("eu-west-1")
    # with a role EventBridge can assume that may put it there
    assert forward.role is not None
    trust = forward.template["Resources"][forward.role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust[0]["Principal"] == {"Service": "events.amazonaws.com"}
    statements = Resolver(forward.template, account=ACCOUNT, region="us-east-1")(
        role_statements(forward.template, forward.role)
    )
    put = Request("events:PutEvents", bus("eu-west-1"), {"AWS": "role"}, {})
    assert allowed(statements, put)
    assert not allowed(statements, Request("events:PutEvents", bus("eu-central-1"), {"AWS": "role"}, {}))

    # Then on eu-west-1's bus (a forwarded event keeps its source, detail-type and detail) one rule starts the function
    [start] = [r for r in synthesized.rules if r.region == "eu-west-1" and matches(r.pattern, event)]
    assert start.target == function_arn("eu-west-1")


def test_the_run_s_own_write_back_in_us_east_1_is_not_forwarded(monkeypatch: pytest.MonkeyPatch) -> None:
    synthesized = synth(monkeypatch, "eu-west-1")
    for finding, kind in (
        (seed.iam26_finding(ACCOUNT, workflow="NOTIFIED"), "Security Hub Findings - Imported"),
        (seed.iam26_finding(ACCOUNT, workflow="RESOLVED"), "Security Hub Findings - Imported"),
        (seed.iam26_ocsf_finding(ACCOUNT, status_id=2), "Findings Imported V2"),
        (seed.iam26_ocsf_finding(ACCOUNT, status_id=4), "Findings Imported V2"),
    ):
        event = seed.finding_event(finding, detail_type=kind)
        assert [r for r in synthesized.rules if matches(r.pattern, event)] == []


# --- the custom action ---------------------------------------------------------------------------------


def test_the_custom_action_lives_where_the_findings_are_and_starts_a_run_only_for_iam_26(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    synthesized = synth(monkeypatch, "eu-west-1", securityHubCustomAction="true")
    relay = synthesized.templates["CertCleanupFindings"]
    [(action_key, action)] = [
        (k, v) for k, v in relay["Resources"].items() if v["Type"] == "AWS::SecurityHub::ActionTarget"
    ]
    assert not [v for v in synthesized.templates["CertCleanup"]["Resources"].values() if "ActionTarget" in v["Type"]]
    identifier = action["Properties"]["Id"]
    assert identifier == security_hub.action_id("CertCleanup")
    arn = f"arn:aws:securityhub:us-east-1:{ACCOUNT}:action/custom/{identifier}"
    custom = [r for r in synthesized.rules if r.detail_type == "Security Hub Findings - Custom Action"]
    assert {(r.region, r.target) for r in custom} == {
        ("us-east-1", bus("eu-west-1")),
        ("eu-west-1", function_arn("eu-west-1")),
    }
    for rule in custom:
        rule.pattern["resources"] = [
            arn if value == f"{action_key}.ActionTargetArn" else value for value in rule.pattern["resources"]
        ]
        assert matches(rule.pattern, seed.custom_action_event(seed.iam26_finding(ACCOUNT), arn)), rule.region
        for other in (seed.iam26_finding(ACCOUNT, control="IAM.3"), seed.iam26_finding("210987654321")):
            assert not matches(rule.pattern, seed.custom_action_event(other, arn)), rule.region
        other_action = arn.replace(identifier, "SomeoneElse")
        assert not matches(rule.pattern, seed.custom_action_event(seed.iam26_finding(ACCOUNT), other_action))


def test_the_custom_action_id_is_unique_per_stack_and_fits_security_hub_s_limits() -> None:
    names = ["CertCleanup", "CertCleanup-staging", "CertCleanupStaging", "a-very-long-stack-name-for-cert-cleanup"]
    ids = [security_hub.action_id(name) for name in names]
    assert len(set(ids)) == len(ids)
    for identifier in ids:
        assert identifier.isalnum()
        assert 1 <= len(identifier) <= security_hub.ACTION_ID_MAX


def test_where_cloudformation_is_not_known_to_have_the_action_type_synth_warns_and_does_not_fail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    synthesized = synth(monkeypatch, "cn-north-1", securityHubCustomAction="true")
    [warning] = [w for w in synthesized.warnings if "ActionTarget is not in CloudFormation" in w]
    assert "for cn-north-1" in warning
    assert not [
        w for w in synth(monkeypatch, "us-east-1", securityHubCustomAction="true").warnings if "ActionTarget" in w
    ]


# --- organization mode ---------------------------------------------------------------------------------


def test_organization_members_get_their_rules_where_their_findings_are(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.infra.conftest import ORG

    for name in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    app = cdk.App(context={**ORG, "memberRegion": "eu-west-1"})
    stack = cdk_app.build(app)
    directory = Path(app.synth().directory)

    # Each member account's findings arrive in its own us-east-1: a second StackSet puts the rules there
    relay_set = stack.findings_stack_set  # type: ignore[attr-defined]
    assert relay_set is not None
    sets = {
        v["Properties"]["StackSetName"]: v["Properties"]["StackInstancesGroup"][0]["Regions"]
        for v in cdk.assertions.Template.from_stack(stack).to_json()["Resources"].values()
        if v["Type"] == "AWS::CloudFormation::StackSet"
    }
    assert sets == {"cert-cleanup": ["eu-west-1"], "cert-cleanup-findings": ["us-east-1"]}
    [path] = list(directory.glob("*FindingsRelay*.stackset.template.json"))
    relay = json.loads(path.read_text())
    resolve = Resolver(relay, account=ACCOUNT, region="us-east-1")
    event = seed.finding_event(seed.iam26_finding(ACCOUNT))
    [forward] = [
        r
        for r in relay["Resources"].values()
        if r["Type"] == "AWS::Events::Rule" and matches(resolve(r["Properties"]["EventPattern"]), event)
    ]
    assert resolve(forward["Properties"]["Targets"][0]["Arn"]) == bus("eu-west-1")
    # and the member's own stack matches the forwarded event and starts its function
    [member_path] = list(directory.glob("*Member*.stackset.template.json"))
    member = json.loads(member_path.read_text())
    member_resolve = Resolver(member, account=ACCOUNT, region="eu-west-1")
    [start] = [
        r
        for r in member["Resources"].values()
        if r["Type"] == "AWS::Events::Rule"
        and "aws.securityhub" in json.dumps(r)
        and matches(member_resolve(r["Properties"]["EventPattern"]), event)
    ]
    assert start["Properties"]["Targets"][0]["Arn"]["Fn::GetAtt"][1] == "Arn"

    # With members in us-east-1 there is no second StackSet
    home = cdk.App(context={**ORG, "memberRegion": "us-east-1"})
    assert cdk_app.build(home).findings_stack_set is None  # type: ignore[attr-defined]
