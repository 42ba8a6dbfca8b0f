"""Security Hub starts runs: EventBridge rules for the account's IAM.26 findings in both formats, and the console's
custom action ("Run cert-cleanup").

The finding rules match only what a run can act on and nothing the run itself causes: an IAM.26 finding of this
account, FAILED, ACTIVE, and new (ASFF ``Workflow.Status`` NEW; OCSF ``status_id`` 0 or 1, Unknown or New).
Every update of a finding is an event, the run's own write-back included (Security Hub user guide: "Every
BatchImportFindings and BatchUpdateFindings request triggers a Security Hub Findings - Imported event"); the run
sets NOTIFIED or RESOLVED (OCSF: In Progress or Resolved), which these rules do not match, so a run never starts
itself again. Security Hub sets a finding back to NEW when its compliance turns from PASSED to FAILED: a new
expired certificate starts a run.

Where the rules live (:func:`findings_home`): IAM.26 comes from AWS Config's
``iam-server-certificate-expiration-check``, which exists only in us-east-1 (cn-north-1 in China; none in
GovCloud), so its findings and their events appear there, and, with cross-region aggregation, in the aggregation
region too. A rule anywhere else never matches. So:

- stack in the findings' home region: the rules and the custom action are in the stack;
- stack elsewhere: a small second stack in the home region (:class:`FindingsRelayStack`, made by the app) holds the
  rules and the custom action, and sends what they match to the default event bus of the function's region
  (EventBridge cross-region event bus targets, same account); the function's stack has the same rules on its
  default bus, targeting the function. A second stack rather than a StackSet or a custom resource: the CDK deploys
  both with ``cdk deploy --all``, each in its own region, with no service-managed permissions and no code;
- GovCloud: no IAM.26 finding exists, so no rule and no custom action; synth says so (a warning).

One ``securityHubAggregationRegion`` names the aggregation region, where the rules then live instead of us-east-1
(one place, so that a finding is not delivered twice: from us-east-1 and from its copy in the aggregation region).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from aws_cdk import Annotations, Aws, CfnResource, Stack, Token
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cert_cleanup.aws.securityhub import CONTROL
from cert_cleanup.config import names

from ..config import ContextError

ACTION_NAME = "Run cert-cleanup"  # Security Hub: a name of up to 20 characters
ACTION_DESCRIPTION = "Remediate with cert-cleanup: delete the expired IAM server certificates nothing uses (IAM.26)"
ACTION_ID_MAX = 20  # AWS::SecurityHub::ActionTarget Id: up to 20 letters and digits, unique per account and region
# Where CloudFormation's resource schemas hold AWS::SecurityHub::ActionTarget (cfn-lint 1.58's region data, read from
# the schemas AWS publishes per region). Elsewhere the type is documented but not known to deploy: synth warns.
ACTION_TARGET_REGIONS = frozenset(
    {
        "us-east-1",
        "us-west-2",
        "eu-central-1",
        "ap-south-1",
        "eu-isoe-west-1",
        "eusc-de-east-1",
        "us-iso-east-1",
        "us-iso-west-1",
        "us-isob-east-1",
        "us-isob-west-1",
        "us-isof-east-1",
        "us-isof-south-1",
    }
)
GOVCLOUD_WARNING = (
    "cert-cleanup: no Security Hub rule and no custom action in GovCloud: IAM.26's AWS Config rule "
    "(iam-server-certificate-expiration-check) does not exist there, so no IAM.26 finding ever does; the schedule "
    "runs the clean-up"
)
UNKNOWN_REGION_WARNING = (
    "cert-cleanup: the stack's region is not known at synth (no CDK_DEFAULT_REGION), so the Security Hub rules are "
    "in the stack's region and match only if it is where IAM.26's findings are (us-east-1, cn-north-1, or the "
    "aggregation region); synthesize with credentials (cdk deploy) so that they are placed there"
)


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def findings_home(region: str, aggregation_region: str | None = None) -> str | None:
    """The region where this account's IAM.26 findings (and their events) appear, for a stack in ``region``: the
    aggregation region when one is named, else the region of IAM.26's Config rule; None in GovCloud (none)."""
    partition = partition_of(region)
    if partition not in names.CONFIG_RULE_REGIONS:
        return None
    if aggregation_region and partition_of(aggregation_region) != partition:
        raise ContextError(
            f"invalid CDK context: context 'securityHubAggregationRegion': {aggregation_region!r} is not in the "
            f"partition of the stack's region {region!r} ({partition}): Security Hub aggregates within one partition"
        )
    return aggregation_region or names.CONFIG_RULE_REGIONS[partition]


def action_id(stack_name: str) -> str:
    """The custom action's Id, unique per stack: its name's letters and digits, and a hash of the whole name."""
    digest = hashlib.sha256(stack_name.encode()).hexdigest()[:6]
    return re.sub(r"[^A-Za-z0-9]", "", stack_name)[: ACTION_ID_MAX - len(digest)] + digest


def action_arn(region: str, account: str, identifier: str) -> str:
    return f"arn:{Aws.PARTITION}:securityhub:{region}:{account}:action/custom/{identifier}"


def asff_pattern(account: str) -> dict[str, Any]:
    return {
        "findings": {
            "Compliance": {"SecurityControlId": [CONTROL], "Status": ["FAILED"]},
            "RecordState": ["ACTIVE"],
            "Workflow": {"Status": ["NEW"]},
            "AwsAccountId": [account],
        }
    }


def ocsf_pattern(account: str) -> dict[str, Any]:
    return {
        "findings": {
            "compliance": {"control": [CONTROL], "status": [{"equals-ignore-case": "fail"}]},
            "cloud": {"account": {"uid": [account]}},
            "status_id": [0, 1],
        }
    }


def custom_action_pattern(account: str) -> dict[str, Any]:
    """A person may choose the action on any finding: only this account's IAM.26 ones start a run (the function
    would refuse any other, a failed invocation and an alarm)."""
    return {"findings": {"Compliance": {"SecurityControlId": [CONTROL]}, "AwsAccountId": [account]}}


FINDING_RULES = (
    ("Iam26Findings", "FAILED IAM.26 finding", "Security Hub Findings - Imported", asff_pattern),
    ("Iam26FindingsV2", "failed IAM.26 finding (OCSF)", "Findings Imported V2", ocsf_pattern),
)
CUSTOM_ACTION_EVENT = "Security Hub Findings - Custom Action"


def _rules(
    scope: Construct,
    target: events.IRuleTarget,
    *,
    findings: bool,
    action: str | None,
    where: str,
) -> None:
    """The finding rules (and the custom action's, on the action ``action``'s ARN) sending to ``target``."""
    if findings:
        for rule_id, what, detail_type, pattern in FINDING_RULES:
            events.Rule(
                scope,
                rule_id,
                description=f"cert-cleanup: a new {what} of this account starts a run{where}",
                event_pattern=events.EventPattern(
                    source=["aws.securityhub"], detail_type=[detail_type], detail=pattern(Aws.ACCOUNT_ID)
                ),
                targets=[target],
            )
    if action:
        events.Rule(
            scope,
            "CustomActionRule",
            description=f"cert-cleanup: the Security Hub custom action '{ACTION_NAME}' on an IAM.26 finding starts a "
            f"run{where}",
            event_pattern=events.EventPattern(
                source=["aws.securityhub"],
                detail_type=[CUSTOM_ACTION_EVENT],
                resources=[action],
                detail=custom_action_pattern(Aws.ACCOUNT_ID),
            ),
            targets=[target],
        )


def _action_target(scope: Construct, identifier: str) -> CfnResource:
    # AWS::SecurityHub::ActionTarget (CloudFormation template reference); aws-cdk-lib has no L1 for it yet.
    region = Stack.of(scope).region
    if not Token.is_unresolved(region) and region not in ACTION_TARGET_REGIONS:
        Annotations.of(scope).add_warning_v2(
            "cert-cleanup:ActionTargetRegion",
            f"cert-cleanup: AWS::SecurityHub::ActionTarget is not in CloudFormation's resource schemas for {region} "
            f"(cfn-lint's region data lists {', '.join(sorted(ACTION_TARGET_REGIONS))}): if the deploy answers "
            "'Unrecognized resource types', set securityHubCustomAction=false and create the action with the CLI "
            "(docs/deploy.md)",
        )
    return CfnResource(
        scope,
        "CustomAction",
        type="AWS::SecurityHub::ActionTarget",
        properties={"Id": identifier, "Name": ACTION_NAME, "Description": ACTION_DESCRIPTION},
    )


class SecurityHubTriggers(Construct):
    """The rules (and, when asked, the custom action) that invoke ``function``, placed by :func:`findings_home`.

    ``region`` is the stack's region (a token when unknown at synth). When IAM.26's findings appear in another
    region, ``relay_region`` names it: the app adds :class:`FindingsRelayStack` there, which holds the custom action
    and forwards the events to this region's default bus, where these rules match them."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function: lambda_.IFunction,
        findings: bool,
        custom_action: bool,
        region: str,
        aggregation_region: str | None = None,
        action_id: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.action: CfnResource | None = None
        self.relay_region: str | None = None
        self.action_id = action_id
        if Token.is_unresolved(region):
            Annotations.of(self).add_warning_v2("cert-cleanup:FindingsRegionUnknown", UNKNOWN_REGION_WARNING)
            home = region
        else:
            found = findings_home(region, aggregation_region)
            if found is None:
                Annotations.of(self).add_warning_v2("cert-cleanup:NoIam26InGovCloud", GOVCLOUD_WARNING)
                return
            home = found
        local = home == region
        action: str | None = None
        if custom_action and local:
            self.action = _action_target(self, action_id)
            action = self.action.get_att("ActionTargetArn").to_string()
        elif custom_action:
            action = action_arn(home, Aws.ACCOUNT_ID, action_id)
        if not local:
            self.relay_region = home
        where = "" if local else f" (forwarded from {home}, where IAM.26's findings are)"
        _rules(self, targets.LambdaFunction(function, retry_attempts=0), findings=findings, action=action, where=where)


class FindingsRelay(Construct):
    """The rules where IAM.26's findings are, sending what they match to the default event bus of the function's
    region, where :class:`SecurityHubTriggers` starts the function; and the custom action, which a person chooses
    in the console of the region where the findings are. Same account: the bus needs no resource policy."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function_region: str,
        findings: bool,
        custom_action: bool,
        action_id: str,
    ) -> None:
        super().__init__(scope, construct_id)
        bus = events.EventBus.from_event_bus_arn(
            self,
            "FunctionRegionBus",
            f"arn:{Aws.PARTITION}:events:{function_region}:{Aws.ACCOUNT_ID}:event-bus/default",
        )
        action: str | None = None
        self.action: CfnResource | None = None
        if custom_action:
            self.action = _action_target(self, action_id)
            action = self.action.get_att("ActionTargetArn").to_string()
        # One role for every rule here: EventBridge puts the matched events on the function region's bus.
        role = iam.Role(
            self,
            "ForwardRole",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com"),
            description=f"cert-cleanup: forwards IAM.26 finding events to the default event bus in {function_region}",
        )
        _rules(self, targets.EventBus(bus, role=role), findings=findings, action=action, where=f" in {function_region}")


class FindingsRelayStack(Stack):
    """A single account's :class:`FindingsRelay`, in the region where IAM.26's findings are (made by the app)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function_region: str,
        findings: bool,
        custom_action: bool,
        action_id: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"cert-cleanup: IAM.26 findings here start the clean-up in {function_region}",
            **kwargs,
        )
        self.relay = FindingsRelay(
            self,
            "Relay",
            function_region=function_region,
            findings=findings,
            custom_action=custom_action,
            action_id=action_id,
        )
