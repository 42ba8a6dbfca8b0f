"""cert-cleanup replace: swap an expired certificate in use for its successor, with a person's credentials.

Plan (from a scan: each expired certificate in use, each resource using it, the successor the function names),
show, ask, then for each swap: write it to the record, re-read the resource (it must still hold the certificate the
plan showed), change it, read it again (it must now hold the new one). The first failure stops everything after it.
A record can be undone (``replace --undo``): each change it says was started is reversed, newest first, where the
old certificate still exists and the resource still holds the new one.

How each consumer changes its certificate (one API each, the rest of the resource left as it is):
Classic ELB ``SetLoadBalancerListenerSSLCertificate``; ALB/NLB default certificate ``ModifyListener``
(``Certificates`` is the default certificate only); ALB/NLB additional (SNI) certificate
``AddListenerCertificates`` then ``RemoveListenerCertificates``; CloudFront ``GetDistributionConfig`` then
``UpdateDistribution`` with its ``ETag`` as ``IfMatch``, only the ``ViewerCertificate`` changed. AppSync custom
domain names cannot change their certificate (``UpdateDomainName`` takes a description only): the plan says what
to do instead.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from cert_cleanup.aws.clients import AWS_ERRORS, AwsClients, error_code, error_message
from cert_cleanup.models import Action, RunResult
from cert_cleanup.successor import read_body, service_of, uncovered
from cert_cleanup.wording import moment

RECORD_KIND = "cert-cleanup replace record"
ELB = "elb"
ELBV2_DEFAULT = "elbv2-default"
ELBV2_SNI = "elbv2-sni"
CLOUDFRONT = "cloudfront"
APPSYNC_INSTEAD = (
    "AppSync custom domain names cannot change their certificate in place: create a domain name with {new} "
    "(CreateDomainName), associate the API with it (AssociateApi), point DNS at it, then delete the old one"
)


class ReplaceError(Exception):
    """A swap that cannot be planned or made; the message says which and why."""


class UnknownCertificate(ReplaceError):
    """``--certificate`` names no IAM server certificate of the account: a bad option, known only after the scan."""


FAILURES: tuple[type[Exception], ...] = (ReplaceError, *AWS_ERRORS)


@dataclass(frozen=True, slots=True)
class Swap:
    """One certificate change on one resource. ``old_ref``/``new_ref``: the certificate as the resource names it
    (an ARN; for CloudFront an IAM certificate's id, or an ACM ARN)."""

    kind: str
    region: str
    resource: str  # Classic ELB name, listener ARN, distribution id
    where: str  # the resource's ARN, for people
    old: str  # certificate ARNs
    new: str
    old_ref: str
    new_ref: str
    names: tuple[str, ...] = ()
    port: int | None = None  # Classic ELB listener port

    def describe(self) -> str:
        label = {
            ELB: f"Classic ELB {self.resource} port {self.port}",
            ELBV2_DEFAULT: f"listener {self.resource} (default certificate)",
            ELBV2_SNI: f"listener {self.resource} (additional certificate)",
            CLOUDFRONT: f"CloudFront distribution {self.resource}",
        }[self.kind]
        return f"{label} in {self.region}"

    def reverse(self) -> Swap:
        return Swap(
            self.kind, self.region, self.resource, self.where, self.new, self.old, self.new_ref, self.old_ref,
            self.names, self.port,
        )  # fmt: skip

    @classmethod
    def from_dict(cls, entry: dict[str, Any]) -> Swap:
        fields = {name: entry[name] for name in cls.__dataclass_fields__ if name in entry}
        fields["names"] = tuple(fields.get("names", ()))
        return cls(**fields)


@dataclass(slots=True)
class Plan:
    swaps: list[Swap] = field(default_factory=list)
    # Uses of an expired certificate no swap is planned for, each with why and what to do.
    left: list[str] = field(default_factory=list)
    # Planned swaps refused before anything was changed (a successor that does not cover every name...).
    refused: list[str] = field(default_factory=list)
    # Certificates named with --certificate that are not expired certificates in use: nothing to replace.
    not_applicable: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Outcome:
    done: list[Swap] = field(default_factory=list)
    failure: str | None = None
    not_done: list[Swap] = field(default_factory=list)


# --- the plan -------------------------------------------------------------------------------------------------------


def plan(
    clients: AwsClients, result: RunResult, now: datetime, *, only: set[str] | None = None, to: str | None = None
) -> Plan:
    """The swaps that replace each expired certificate in use (``only``: these names) by its successor, or by ``to``
    when given. Every swap is checked before it is shown: the resource holds the expired certificate, the new one is
    valid and covers every name the old one serves."""
    planned = Plan()
    held = {row.certificate.name: row for row in result.certificates}
    for name in sorted(only or ()):
        if name not in held:
            alike = [known for known in held if known.lower() == name.lower()]
            hint = f" (did you mean {alike[0]!r}? names are matched exactly)" if alike else ""
            raise UnknownCertificate(
                f"--certificate: no IAM server certificate named {name!r} in account {result.account}{hint}"
            )
        if held[name].action is not Action.IN_USE:
            # The plan's scan is a dry run: its "would delete" is what a run does, not this command
            reason = held[name].reason.removesuffix(" (dry run)")
            planned.not_applicable.append(
                f"{name}: not an expired certificate in use ({held[name].action.value}: {reason})"
            )
    for row in result.certificates:
        if row.action is not Action.IN_USE or (only and row.certificate.name not in only):
            continue
        old_names = _iam_names(clients, row.certificate.arn)
        successors = {successor.used_by: successor for successor in row.successors}
        for user in row.used_by or ("a resource IAM named",):
            successor = successors.get(user)
            new = to or (successor.arn if successor else None)
            if not new:
                why = successor.text() if successor else "no successor was named"
                planned.left.append(f"{row.certificate.name} on {user}: {why}")
                continue
            service = service_of(user)
            if service == "appsync":
                planned.left.append(f"{row.certificate.name} on {user}: {APPSYNC_INSTEAD.format(new=new)}")
                continue
            try:
                new_names = _names_of(clients, new, now)
                missing = uncovered(new_names, old_names)
                if missing:
                    raise ReplaceError(
                        f"{new} does not cover {', '.join(missing)}, which {row.certificate.name} serves"
                    )
                for swap in _swaps_on(clients, service, user, row.certificate.arn, row.certificate.id, new):
                    planned.swaps.append(Swap(**{**asdict(swap), "names": old_names}))
            except ReplaceError as exc:
                planned.refused.append(f"{row.certificate.name} on {user}: not planned: {exc}")
    return planned


def _swaps_on(clients: AwsClients, service: str, user: str, old: str, old_id: str, new: str) -> list[Swap]:
    region = user.split(":")[3] or "us-east-1"
    if service == ELB:
        name = user.rsplit("loadbalancer/", 1)[1]
        listeners = _classic_listeners(clients, region, name)
        return [
            Swap(ELB, region, name, user, old, new, held, new, port=port)
            for port, held in listeners.items()
            if _same(held, old)
        ]
    if service == "elbv2":
        default, additional = _listener(clients, region, user)
        swaps = []
        if default is not None and _same(default, old):
            swaps.append(Swap(ELBV2_DEFAULT, region, user, user, old, new, default, new))
        swaps += [Swap(ELBV2_SNI, region, user, user, old, new, held, new) for held in additional if _same(held, old)]
        return swaps
    if service == CLOUDFRONT:
        distribution = user.rsplit("/", 1)[1]
        held = _distribution_certificate(clients, distribution)
        if held != old_id:
            return []
        return [Swap(CLOUDFRONT, "global", distribution, user, old, new, old_id, _cloudfront_ref(clients, new))]
    raise ReplaceError(f"no way to change the certificate of {user} is known")


def _same(held: str | None, arn: str) -> bool:
    """The same IAM certificate: the ARN, or its name in any case (ELB keeps the ARN as it was given)."""
    if held is None:
        return False
    return held == arn or (
        ":server-certificate/" in held and held.lower().rsplit("/", 1)[-1] == arn.lower().rsplit("/", 1)[-1]
    )


# --- reads: what a resource holds, what a certificate covers ---------------------------------------------------------


def _classic_listeners(clients: AwsClients, region: str, name: str) -> dict[int, str]:
    balancer = clients.client("elb", region).describe_load_balancers(LoadBalancerNames=[name])[
        "LoadBalancerDescriptions"
    ][0]
    return {
        int(item["Listener"]["LoadBalancerPort"]): item["Listener"]["SSLCertificateId"]
        for item in balancer["ListenerDescriptions"]
        if item["Listener"].get("SSLCertificateId")
    }


def _listener(clients: AwsClients, region: str, listener_arn: str) -> tuple[str | None, list[str]]:
    elbv2 = clients.client("elbv2", region)
    [listener] = elbv2.describe_listeners(ListenerArns=[listener_arn])["Listeners"]
    default = next((cert["CertificateArn"] for cert in listener.get("Certificates", [])), None)
    additional: list[str] = []
    for page in elbv2.get_paginator("describe_listener_certificates").paginate(ListenerArn=listener_arn):
        additional += [cert["CertificateArn"] for cert in page["Certificates"] if not cert.get("IsDefault")]
    return default, additional


def _distribution_config(clients: AwsClients, distribution: str) -> tuple[dict[str, Any], str]:
    response = _cloudfront(clients).get_distribution_config(Id=distribution)
    return response["DistributionConfig"], response["ETag"]


def _distribution_certificate(clients: AwsClients, distribution: str) -> str | None:
    viewer = _distribution_config(clients, distribution)[0].get("ViewerCertificate", {})
    return viewer.get("IAMCertificateId") or viewer.get("ACMCertificateArn") or None


def _cloudfront(clients: AwsClients) -> Any:
    partition = clients.partition or "aws"
    return clients.client("cloudfront", "cn-northwest-1" if partition == "aws-cn" else "us-east-1")


def _cloudfront_ref(clients: AwsClients, arn: str) -> str:
    """How a distribution names a certificate: an ACM ARN as it is, an IAM certificate by its id."""
    if ":acm:" in arn:
        return arn
    return str(_iam_certificate(clients, arn)["ServerCertificateMetadata"]["ServerCertificateId"])


def _iam_certificate(clients: AwsClients, arn: str) -> dict[str, Any]:
    name = arn.rsplit("/", 1)[-1]
    try:
        return dict(clients.client("iam").get_server_certificate(ServerCertificateName=name)["ServerCertificate"])
    except ClientError as exc:
        raise ReplaceError(f"{arn} could not be read ({error_code(exc)}: {error_message(exc)})") from exc


def _iam_names(clients: AwsClients, arn: str) -> tuple[str, ...]:
    return read_body(_iam_certificate(clients, arn)["CertificateBody"]).names


def _names_of(clients: AwsClients, arn: str, now: datetime) -> tuple[str, ...]:
    """Every name ``arn`` covers; a certificate that is not valid now covers nothing and is refused."""
    if ":acm:" in arn:
        region = arn.split(":")[3]
        try:
            described = clients.client("acm", region).describe_certificate(CertificateArn=arn)["Certificate"]
        except ClientError as exc:
            raise ReplaceError(f"{arn} could not be read ({error_code(exc)}: {error_message(exc)})") from exc
        if described.get("Status") != "ISSUED" or described["NotAfter"] <= now:
            raise ReplaceError(f"{arn} is not an issued, valid certificate ({described.get('Status')})")
        return (described["DomainName"], *described.get("SubjectAlternativeNames", []))
    certificate = _iam_certificate(clients, arn)
    if certificate["ServerCertificateMetadata"]["Expiration"] <= now:
        raise ReplaceError(f"{arn} is expired")
    return read_body(certificate["CertificateBody"]).names


def holds(clients: AwsClients, swap: Swap) -> bool | None:
    """Whether the resource holds ``swap.old_ref`` (True), ``swap.new_ref`` (False), or something else (None)."""
    if swap.kind == ELB:
        held: str | None = _classic_listeners(clients, swap.region, swap.resource).get(swap.port or 0)
        now = [held] if held else []
    elif swap.kind == ELBV2_DEFAULT:
        now = [_listener(clients, swap.region, swap.resource)[0] or ""]
    elif swap.kind == ELBV2_SNI:
        now = _listener(clients, swap.region, swap.resource)[1]
    else:
        now = [_distribution_certificate(clients, swap.resource) or ""]
    if swap.old_ref in now and swap.new_ref not in now:
        return True
    if swap.new_ref in now and swap.old_ref not in now:
        return False
    return None


# --- the changes -----------------------------------------------------------------------------------------------------


def apply(clients: AwsClients, swap: Swap) -> None:
    """Make one change: the resource then names ``swap.new_ref`` where it named ``swap.old_ref``."""
    if swap.kind == ELB:
        clients.client("elb", swap.region).set_load_balancer_listener_ssl_certificate(
            LoadBalancerName=swap.resource, LoadBalancerPort=swap.port, SSLCertificateId=swap.new_ref
        )
    elif swap.kind == ELBV2_DEFAULT:
        clients.client("elbv2", swap.region).modify_listener(
            ListenerArn=swap.resource, Certificates=[{"CertificateArn": swap.new_ref}]
        )
    elif swap.kind == ELBV2_SNI:  # the new one first: the listener serves the names all along
        elbv2 = clients.client("elbv2", swap.region)
        elbv2.add_listener_certificates(ListenerArn=swap.resource, Certificates=[{"CertificateArn": swap.new_ref}])
        elbv2.remove_listener_certificates(ListenerArn=swap.resource, Certificates=[{"CertificateArn": swap.old_ref}])
    else:
        config, etag = _distribution_config(clients, swap.resource)
        viewer = {
            key: value
            for key, value in config["ViewerCertificate"].items()
            if key not in {"IAMCertificateId", "ACMCertificateArn", "Certificate", "CertificateSource"}
        }
        viewer["CloudFrontDefaultCertificate"] = False
        viewer["ACMCertificateArn" if ":acm:" in swap.new_ref else "IAMCertificateId"] = swap.new_ref
        _cloudfront(clients).update_distribution(
            Id=swap.resource, IfMatch=etag, DistributionConfig={**config, "ViewerCertificate": viewer}
        )


class Record:
    """The record of a replace: every planned change, each marked started before it is made and done after it was
    verified. Written to disk (and synced) before each change, so that a crash leaves what may have changed."""

    def __init__(self, path: Path, account: str, swaps: list[Swap], *, undo_of: str | None = None) -> None:
        self.path = path
        self.document: dict[str, Any] = {
            "kind": RECORD_KIND,
            "account": account,
            "created_at": datetime.now(UTC).isoformat(),
            "undo_of": undo_of,
            "changes": [{**asdict(swap), "names": list(swap.names), "state": "planned"} for swap in swaps],
        }
        self.write()

    def mark(self, index: int, state: str, detail: str = "") -> None:
        self.document["changes"][index]["state"] = state
        if detail:
            self.document["changes"][index]["detail"] = detail
        self.write()

    def write(self) -> None:
        temporary = self.path.with_name(self.path.name + ".tmp")
        with temporary.open("w") as handle:
            json.dump(self.document, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(self.path)


def perform(clients: AwsClients, swaps: list[Swap], record: Record, say: Callable[[str], None]) -> Outcome:
    """Each swap in order: re-read, change, verify. Stops at the first that cannot be made, saying why."""
    outcome = Outcome()
    for index, swap in enumerate(swaps):
        record.mark(index, "started")
        try:
            state = holds(clients, swap)
            if state is not True:
                now = "already holds the new certificate" if state is False else "holds another certificate"
                raise ReplaceError(
                    f"{swap.describe()} changed since the plan was shown: it {now}, not {swap.old}; "
                    "nothing changed there"
                )
            apply(clients, swap)
            if holds(clients, swap) is not False:
                raise ReplaceError(f"{swap.describe()}: the change was made but {swap.new} is not what it holds now")
        except FAILURES as exc:
            why = str(exc) if isinstance(exc, ReplaceError) else f"{error_code(exc)}: {error_message(exc)}"
            record.mark(index, "failed", why)
            outcome.failure = f"{swap.describe()}: {why}"
            outcome.not_done = swaps[index:]
            return outcome
        record.mark(index, "done")
        outcome.done.append(swap)
        say(f"replaced {swap.old} with {swap.new} on {swap.describe()}")
    return outcome


def undo_plan(clients: AwsClients, path: Path) -> tuple[str, list[Swap], list[str]]:
    """The account, the changes that reverse a record's started or done ones (newest first), and those that cannot
    be reversed (the old certificate is gone)."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ReplaceError(f"{path}: not a readable record ({exc})") from exc
    if not isinstance(document, dict) or document.get("kind") != RECORD_KIND:
        raise ReplaceError(f"{path}: not a record written by cert-cleanup replace")
    swaps, left = [], []
    for entry in reversed(document["changes"]):
        if entry.get("state") not in {"started", "done", "failed"}:
            continue
        swap = Swap.from_dict(entry).reverse()
        try:
            if ":acm:" in swap.new:
                clients.client("acm", swap.new.split(":")[3]).describe_certificate(CertificateArn=swap.new)
            else:
                _iam_certificate(clients, swap.new)
        except (ReplaceError, ClientError) as exc:
            left.append(f"{swap.describe()}: {swap.new} cannot be restored, it no longer exists ({exc})")
            continue
        swaps.append(swap)
    return str(document.get("account", "")), swaps, left


def expired_restores(clients: AwsClients, swaps: list[Swap], now: datetime) -> list[str]:
    """A warning for each restore (undo) that puts back a certificate no longer valid at ``now``."""
    warnings = []
    for swap in swaps:
        if ":acm:" in swap.new:
            acm = clients.client("acm", swap.new.split(":")[3])
            not_after = acm.describe_certificate(CertificateArn=swap.new)["Certificate"].get("NotAfter")
        else:
            not_after = _iam_certificate(clients, swap.new)["ServerCertificateMetadata"]["Expiration"]
        if not_after is not None and not_after <= now:
            warnings.append(
                f"{swap.describe()}: {swap.new} expired {moment(not_after)}: restoring it serves an expired "
                "certificate again"
            )
    return warnings
