"""Who hears what, in both modes, followed through the templates as AWS would (tests/infra/delivery.py):
every alarm reaches every address, a deploy emails nobody, every failed run emails again, a mailbox gets
the results a person should read and never the machines-only ones."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template

from cert_cleanup.config import names
from infra.organization import CENTRAL_ALARM_TOPIC_PARAMETER
from infra.stack import CertCleanupStack
from tests.infra.alarms import PERIODS_PER_DAY, metric_values, notifications
from tests.infra.conftest import CONTEXT, ORG
from tests.infra.delivery import alarm_publisher, deliveries, function_publisher, resources
from tests.infra.policy import Resolver

MEMBER_ACCOUNT = "111122223333"
ORG_ACCOUNT = "999999999999"
RETENTION_PERIODS = 14 * PERIODS_PER_DAY  # the failure queue keeps messages 14 days


def emails(addresses: list[str]) -> list[str]:
    return sorted(f"email:{address}" for address in addresses)


@pytest.fixture(scope="module")
def single(stack: CertCleanupStack) -> dict[str, Any]:
    template: dict[str, Any] = dict(Template.from_stack(stack).to_json())
    return template


def _alarm_target(resolve: Resolver, alarm: dict[str, Any]) -> str:
    [target] = alarm["Properties"]["AlarmActions"]
    arn: str = resolve(target)
    return arn


def test_every_alarm_of_one_account_reaches_every_address(single: dict[str, Any]) -> None:
    resolve = Resolver(single)
    alarms = resources(single, "AWS::CloudWatch::Alarm")
    assert {resolve(alarm["Properties"]["AlarmName"]) for alarm in alarms.values()} == {
        "cert-cleanup-CertCleanup-function-errors",
        "cert-cleanup-CertCleanup-failed-runs-queued",
    }
    for alarm in alarms.values():
        # CloudWatch's notification carries no message attribute: only an unfiltered subscription receives it
        received = deliveries(single, resolve, _alarm_target(resolve, alarm), alarm_publisher(resolve, alarm))
        assert received == emails(CONTEXT["notificationEmails"]), alarm["Properties"]["AlarmName"]


def test_only_cert_cleanup_alarms_of_this_account_may_publish(single: dict[str, Any]) -> None:
    resolve = Resolver(single)
    alarm = next(iter(resources(single, "AWS::CloudWatch::Alarm").values()))
    topic = _alarm_target(resolve, alarm)
    someone_elses = {"Properties": {"AlarmName": "billing-alarm"}}
    assert deliveries(single, resolve, topic, alarm_publisher(resolve, someone_elses)) == []
    other_account = Resolver(single, account="999999999999")
    assert deliveries(single, resolve, topic, alarm_publisher(other_account, alarm)) == []


def test_a_mailbox_gets_the_results_a_person_should_read_never_the_machines_only_ones(single: dict[str, Any]) -> None:
    resolve = Resolver(single)
    [function] = resources(single, "AWS::Lambda::Function").values()
    results_topic = resolve(function["Properties"]["Environment"]["Variables"][names.ENV_SNS_TOPIC_ARN])
    everyone = emails(CONTEXT["notificationEmails"])
    assert deliveries(single, resolve, results_topic, function_publisher(names.AUDIENCE_PEOPLE)) == everyone
    assert deliveries(single, resolve, results_topic, function_publisher(names.AUDIENCE_MACHINES)) == []


def _organization(central: Template, member: dict[str, Any]) -> tuple[dict[str, Any], Resolver, Resolver]:
    """The central template and resolvers for it and for a member, whose parameters are what the StackSet passes."""
    template = dict(central.to_json())
    central_resolve = Resolver(template, account=ORG_ACCOUNT, region="eu-west-1", stack_name="CertCleanupOrganization")
    [stack_set] = [  # the function's StackSet (cert-cleanup-findings holds the finding rules)
        s
        for s in resources(template, "AWS::CloudFormation::StackSet").values()
        if s["Properties"]["StackSetName"] == "cert-cleanup"
    ]
    parameters = {
        item["ParameterKey"]: central_resolve(item["ParameterValue"]) for item in stack_set["Properties"]["Parameters"]
    }
    member_resolve = Resolver(
        member,
        account=MEMBER_ACCOUNT,
        region="eu-west-1",
        stack_name="StackSet-cert-cleanup-1a2b",
        parameters=parameters,
    )
    return template, central_resolve, member_resolve


def test_every_alarm_of_an_organization_reaches_every_address(central: Template, member: dict[str, Any]) -> None:
    template, central_resolve, member_resolve = _organization(central, member)
    alarms = [(member_resolve, alarm) for alarm in resources(member, "AWS::CloudWatch::Alarm").values()] + [
        (central_resolve, alarm) for alarm in resources(template, "AWS::CloudWatch::Alarm").values()
    ]
    assert len(alarms) == 3  # two in every member, the digest's in the organization stack
    for resolve, alarm in alarms:
        # a member's alarm names the central alarm topic it was given
        topic = _alarm_target(resolve, alarm)
        assert topic == member_resolve.parameters[CENTRAL_ALARM_TOPIC_PARAMETER]
        publisher = alarm_publisher(resolve, alarm, organization_id=ORG["organizationId"])
        assert deliveries(template, central_resolve, topic, publisher) == emails(ORG["notificationEmails"])
    # An alarm of an account outside the organization, or not cert-cleanup's, reaches nobody
    _, alarm = alarms[0]
    topic = member_resolve.parameters[CENTRAL_ALARM_TOPIC_PARAMETER]
    assert deliveries(template, central_resolve, topic, alarm_publisher(member_resolve, alarm)) == []
    billing = {"Properties": {"AlarmName": "billing-alarm"}}
    publisher = alarm_publisher(member_resolve, billing, organization_id=ORG["organizationId"])
    assert deliveries(template, central_resolve, topic, publisher) == []


def test_key_policies_use_only_condition_keys_aws_documents_for_the_kms_request(
    single: dict[str, Any], central: Template
) -> None:
    # The SNS Developer Guide says to bind a service's key statement with aws:SourceArn and aws:SourceAccount;
    # no AWS page documents aws:SourceOrgID in a key policy (it says it is unsupported for EventBridge).
    for template in (single, dict(central.to_json())):
        for key in resources(template, "AWS::KMS::Key").values():
            for statement in key["Properties"]["KeyPolicy"]["Statement"]:
                if statement.get("Principal") != {"Service": "cloudwatch.amazonaws.com"}:
                    continue
                used = {name for pairs in statement.get("Condition", {}).values() for name in pairs}
                assert used, statement  # bound to the alarms
                assert used <= {"aws:SourceArn", "aws:SourceAccount"}, statement


def _all_alarms(single: dict[str, Any], central: Template, member: dict[str, Any]) -> list[dict[str, Any]]:
    every = [
        *resources(single, "AWS::CloudWatch::Alarm").values(),
        *resources(member, "AWS::CloudWatch::Alarm").values(),
    ]
    every += resources(dict(central.to_json()), "AWS::CloudWatch::Alarm").values()
    assert len(every) == 5
    return every


def test_deploying_emails_nobody(single: dict[str, Any], central: Template, member: dict[str, Any]) -> None:
    # A new alarm starts in INSUFFICIENT_DATA and is evaluated at once: with no failure it goes to OK.
    for alarm in _all_alarms(single, central, member):
        quiet_day = metric_values(alarm, failures=[], periods=PERIODS_PER_DAY, retention_periods=RETENTION_PERIODS)
        assert notifications(alarm, quiet_day) == [], alarm["Properties"]["AlarmName"]


def test_every_failed_run_emails_again(single: dict[str, Any], central: Template, member: dict[str, Any]) -> None:
    # Given runs that fail on three days in a row (each failure also lands in the failure queue)
    failures = [6 * 12 + PERIODS_PER_DAY * day for day in range(3)]
    for alarm in _all_alarms(single, central, member):
        values = metric_values(alarm, failures, 4 * PERIODS_PER_DAY, retention_periods=RETENTION_PERIODS)
        # Then each failure sends one ALARM notification, and nothing else is sent
        sent = notifications(alarm, values)
        assert [(item.period, item.state) for item in sent] == [(period, "ALARM") for period in failures], alarm[
            "Properties"
        ]["AlarmName"]
