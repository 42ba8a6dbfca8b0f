"""Follow a synthesized template the way AWS would: resolve references, then evaluate policy statements.

A small evaluator of the IAM policy language for the statements this project writes: Allow/Deny,
Principal (service, AWS or ``*``), Action and Resource with wildcards, and the condition operators
StringEquals, StringEqualsIgnoreCase, StringLike, ArnLike, ArnEquals, Bool and Null. A request is
allowed when an Allow statement matches and no Deny does (AWS's rule for one policy). A condition key
missing from the request fails every operator but ``Null`` (as in AWS), so a statement bound to a key
the request does not carry never applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

ACCOUNT = "123456789012"
REGION = "eu-west-1"


@dataclass
class Resolver:
    """Resolves CloudFormation intrinsics with this account, region and partition."""

    template: dict[str, Any]
    account: str = ACCOUNT
    region: str = REGION
    partition: str = "aws"
    url_suffix: str = "amazonaws.com"
    stack_name: str = "CertCleanup"
    parameters: dict[str, Any] = field(default_factory=dict)
    # Logical ID -> the ARN (or, for a bucket, the name) of the resource it became, where a test knows it
    physical: dict[str, str] = field(default_factory=dict)

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(item) for item in value]
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            return self.ref(value["Ref"])
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(str(self(part)) for part in parts)
        if "Fn::GetAtt" in value:
            logical_id, attribute = value["Fn::GetAtt"]
            return self.attribute(logical_id, attribute)
        return {key: self(item) for key, item in value.items()}

    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": self.url_suffix,
            "AWS::StackName": self.stack_name,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.physical:
            return self.physical[name]
        resource = self.template["Resources"][name]
        if resource["Type"] == "AWS::SNS::Topic":
            return f"arn:{self.partition}:sns:{self.region}:{self.account}:{name}"
        return name

    def attribute(self, logical_id: str, attribute: str) -> str:
        resource = self.template["Resources"][logical_id]
        service = resource["Type"].split("::")[1].lower()
        if attribute == "Arn" and service == "dynamodb":  # a table's ARN ends in its name: what Ref gives
            return f"arn:{self.partition}:dynamodb:{self.region}:{self.account}:table/{self.ref(logical_id)}"
        if attribute == "Arn" and logical_id in self.physical:
            known = self.physical[logical_id]
            return f"arn:{self.partition}:s3:::{known}" if service == "s3" else known
        if attribute == "Arn":
            return f"arn:{self.partition}:{service}:{self.region}:{self.account}:{logical_id}"
        return f"{logical_id}.{attribute}"


@dataclass(frozen=True)
class Request:
    """One request as a policy sees it."""

    action: str
    resource: str
    principal: dict[str, str]  # {"Service": "..."} or {"AWS": "<principal ARN>"}
    context: dict[str, str]


def _values(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principal_matches(principal: Any, request: Request) -> bool:
    if principal == "*":
        return True
    for kind, wanted in principal.items():
        if kind in request.principal and any(
            item == "*" or item == request.principal[kind] for item in _values(wanted)
        ):
            return True
        if kind == "AWS" and "AWS" in request.principal:
            account = request.principal["AWS"].split(":")[4]
            if any(item in {account, f"arn:aws:iam::{account}:root"} for item in _values(wanted)):
                return True
    return False


def _condition_holds(operator: str, key: str, wanted: Any, context: dict[str, str]) -> bool:
    actual = context.get(key)
    if operator == "Null":
        return (actual is None) == (str(wanted).lower() == "true")
    if actual is None:
        return False
    options = [str(item) for item in _values(wanted)]
    if operator == "StringEquals" or operator == "ArnEquals":
        return actual in options
    if operator == "StringEqualsIgnoreCase":
        return actual.lower() in {option.lower() for option in options}
    if operator in {"StringLike", "ArnLike"}:
        return any(fnmatchcase(actual, option) for option in options)
    if operator == "Bool":
        return actual.lower() in {option.lower() for option in options}
    raise AssertionError(f"operator {operator} is not modelled")


def statement_matches(statement: dict[str, Any], request: Request) -> bool:
    if "Principal" in statement and not _principal_matches(statement["Principal"], request):
        return False
    if not any(fnmatchcase(request.action, action) for action in _values(statement["Action"])):
        return False
    if not any(fnmatchcase(request.resource, resource) for resource in _values(statement.get("Resource", "*"))):
        return False
    return all(
        _condition_holds(operator, key, wanted, request.context)
        for operator, pairs in statement.get("Condition", {}).items()
        for key, wanted in pairs.items()
    )


def allowed(statements: list[dict[str, Any]], request: Request) -> bool:
    """True when an Allow matches and no Deny does."""
    matching = [statement for statement in statements if statement_matches(statement, request)]
    return any(s["Effect"] == "Allow" for s in matching) and not any(s["Effect"] == "Deny" for s in matching)


def denied(statements: list[dict[str, Any]], request: Request) -> bool:
    """True when an explicit Deny matches."""
    return any(s["Effect"] == "Deny" and statement_matches(s, request) for s in statements)


def role_statements(template: dict[str, Any], role_logical_id: str | None = None) -> list[dict[str, Any]]:
    """Every statement of every policy attached to the role (the only role when not named): IAM evaluates
    the union of a role's policies."""
    roles = [key for key, value in template["Resources"].items() if value["Type"] == "AWS::IAM::Role"]
    role = role_logical_id or (roles[0] if len(roles) == 1 else None)
    assert role is not None, f"name one role of {roles}"
    return [
        statement
        for value in template["Resources"].values()
        if value["Type"] == "AWS::IAM::Policy" and {"Ref": role} in value["Properties"]["Roles"]
        for statement in value["Properties"]["PolicyDocument"]["Statement"]
    ]
