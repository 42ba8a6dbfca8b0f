"""ARNs written into the template: always with CloudFormation's pseudo parameters.

A stack built with a known environment (``cdk deploy`` with credentials sets ``CDK_DEFAULT_ACCOUNT``)
resolves ``Stack.account`` to the literal id, which would make the template, and every cdk-nag
finding on it, depend on who synthesized it. ``${AWS::AccountId}`` and ``${AWS::Partition}`` are the
deploying account's and partition's at deploy time: the same ARN in every case.
"""

from __future__ import annotations

from aws_cdk import Aws

ANY = "*"


def arn(service: str, resource: str, *, region: str = "", account: str = Aws.ACCOUNT_ID) -> str:
    """``arn:${Partition}:service:region:account:resource``; ``region``/``account`` may be ``"*"``."""
    return f"arn:{Aws.PARTITION}:{service}:{region}:{account}:{resource}"
