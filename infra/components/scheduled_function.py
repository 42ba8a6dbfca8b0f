"""A Lambda function on an EventBridge schedule: what the clean-up and the organization digest both are."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from ..bundling import ARCHITECTURE, RUNTIME, function_code
from .monitoring import PERIOD, count_alarm


class ScheduledFunction(Construct):
    """Its own log group (with a retention), its own role (only what it is granted: its logs, and what the owner
    adds), the function (the bundled package, asynchronous retries off), its schedule, and an alarm on its errors
    that emails ``alarm_topic``.

    ``alarm_scope``/``alarm_id`` place the alarm where a stack already has it, so that its logical ID, and the
    deployed alarm, stay the same. ``owned_options`` makes children of this construct that the function names
    (a failure queue) and returns the function options that name them.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        description: str,
        role_description: str,
        handler: str,
        timeout: Duration,
        memory_mb: int,
        environment: dict[str, str],
        schedule: str,
        log_retention: logs.RetentionDays,
        alarm_topic: sns.ITopic,
        alarm_name: str,
        alarm_description: str,
        alarm_scope: Construct | None = None,
        alarm_id: str = "Errors",
        role_name: str | None = None,
        owned_options: Callable[[Construct], dict[str, Any]] | None = None,
        **function_options: Any,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            role_name=role_name,
            description=role_description,
        )
        # pydantic looks for plugins in every installed distribution's entry points when it builds its first model
        # (at import); the function uses none, so its cold start skips the scan.
        environment = {"PYDANTIC_DISABLE_PLUGINS": "__all__", **environment}
        if owned_options is not None:
            owned = owned_options(self)
            environment = {**environment, **owned.pop("environment", {})}
            function_options = {**function_options, **owned}
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=handler,
            code=function_code(),
            timeout=timeout,
            memory_size=memory_mb,
            role=self.role,
            retry_attempts=0,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            environment=environment,
            **function_options,
        )
        self.rule = events.Rule(
            self,
            "Schedule",
            description=description,
            schedule=events.Schedule.expression(schedule),
            targets=[targets.LambdaFunction(self.function, retry_attempts=0)],
        )
        self.errors = count_alarm(
            alarm_scope or self,
            alarm_id,
            name=alarm_name,
            description=alarm_description,
            metric=self.function.metric_errors(period=PERIOD, statistic="Sum"),
            topic=alarm_topic,
        )

    def grant(self, sid: str, actions: list[str], resources: list[str], **options: Any) -> None:
        """One statement of the role's policy."""
        self.role.add_to_policy(iam.PolicyStatement(sid=sid, actions=actions, resources=resources, **options))

    def grant_own_logs(self) -> None:
        self.grant("WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [self.log_group.log_group_arn])
