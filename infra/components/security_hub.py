"""Security Hub starts runs: EventBridge rules for the account's IAM.26 findings in both formats, and the console's
custom action ("Run cert-cleanup").

The finding rules match only what a run can act on and nothing the run itself causes: an IAM.26 finding of this
account, FAILED, ACTIVE, and new (ASFF ``Workflow.Status`` NEW; OCSF ``status_id`` 0 or 1, Unknown or New).
Every update of a finding is an event, the run's own write-back included (Security Hub user guide: "Every
BatchImportFindings and BatchUpdateFindings request triggers a Security Hub Findings - Imported event"); the run
sets NOTIFIED or RESOLVED (OCSF: In Progress or Resolved), which these rules do not match, so a run never starts
itself again. Security Hub sets a finding back to NEW when its compliance turns from PASSED to FAILED: a new
expired certificate starts a run.

The rules live in the stack's region and see the findings Security Hub sends there: IAM.26's come from
us-east-1 (cn-north-1 in China), and, with cross-region aggregation, also reach the home region.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, CfnResource
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cert_cleanup.aws.securityhub import CONTROL

ACTION_ID = "CertCleanupRun"  # at most 20 letters and digits
ACTION_NAME = "Run cert-cleanup"  # Security Hub: a name of up to 20 characters
ACTION_DESCRIPTION = "Remediate with cert-cleanup: delete the expired IAM server certificates nothing uses (IAM.26)"


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


class SecurityHubTriggers(Construct):
    """The rules (and, when asked, the custom action) that invoke ``function``."""

    def __init__(
        self, scope: Construct, construct_id: str, *, function: lambda_.IFunction, findings: bool, custom_action: bool
    ) -> None:
        super().__init__(scope, construct_id)
        target = targets.LambdaFunction(function, retry_attempts=0)
        if findings:
            self._finding_rules(target)
        self.action: CfnResource | None = None
        if custom_action:
            self._custom_action(target)

    def _finding_rules(self, target: targets.LambdaFunction) -> None:
        for rule_id, what, detail_type, pattern in (
            ("Iam26Findings", "FAILED IAM.26 finding", "Security Hub Findings - Imported", asff_pattern),
            ("Iam26FindingsV2", "failed IAM.26 finding (OCSF)", "Findings Imported V2", ocsf_pattern),
        ):
            events.Rule(
                self,
                rule_id,
                description=f"cert-cleanup: a new {what} of this account starts a run",
                event_pattern=events.EventPattern(
                    source=["aws.securityhub"], detail_type=[detail_type], detail=pattern(Aws.ACCOUNT_ID)
                ),
                targets=[target],
            )

    def _custom_action(self, target: targets.LambdaFunction) -> None:
        # AWS::SecurityHub::ActionTarget (CloudFormation template reference); aws-cdk-lib has no L1 for it yet.
        self.action = CfnResource(
            self,
            "CustomAction",
            type="AWS::SecurityHub::ActionTarget",
            properties={"Id": ACTION_ID, "Name": ACTION_NAME, "Description": ACTION_DESCRIPTION},
        )
        events.Rule(
            self,
            "CustomActionRule",
            description="cert-cleanup: the Security Hub custom action 'Run cert-cleanup' starts a run",
            event_pattern=events.EventPattern(
                source=["aws.securityhub"],
                detail_type=["Security Hub Findings - Custom Action"],
                resources=[self.action.get_att("ActionTargetArn").to_string()],
            ),
            targets=[target],
        )
