"""Which certificate can replace an expired one still in use: pure, no boto3.

A certificate serves the DNS names of its subject alternative names, and its subject's common name when that is a
host name. A successor must cover every one of them, a wildcard matching as TLS matches it: ``*.example.com``
covers exactly one label (``www.example.com``; never ``example.com`` nor ``a.b.example.com``; RFC 6125 6.4.3,
RFC 2818 3.1). Candidates are valid certificates the resource can use where it is; ACM's come first (AWS renews
them), then the latest expiry. A candidate that leaves a name uncovered is never named: the closest one is shown
with the names it misses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from cert_cleanup.models import Successor

ACM = "acm"
IAM = "iam"
# The region whose ACM certificates CloudFront uses, per partition (ACM user guide, "Supported Regions": CloudFront
# takes certificates from us-east-1; in China, from cn-north-1).
CLOUDFRONT_ACM_REGION = {"aws": "us-east-1", "aws-cn": "cn-north-1"}
# Key algorithms each consumer accepts, where it is narrower than what ACM holds. CloudFront: RSA 1024 to 4096 and
# ECDSA P-256 only (ACM user guide, "Prerequisites for importing ACM certificates"). A Classic Load Balancer serves
# RSA certificates only (Elastic Load Balancing, Classic Load Balancers, "SSL certificates": ECDSA is not supported).
KEY_ALGORITHMS = {
    "cloudfront": frozenset({"RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1"}),
    "elb": frozenset({"RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096"}),
}
# CloudFront takes an IAM server certificate only when it was uploaded with a path under /cloudfront/.
CLOUDFRONT_PATH = "/cloudfront/"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A certificate that might replace the expired one: from ACM (one region) or IAM (global)."""

    arn: str
    source: str  # ACM or IAM
    names: tuple[str, ...]
    not_after: datetime
    region: str = "global"  # ACM: the certificate's region
    key_algorithm: str | None = None  # ACM's KeyAlgorithm; None when not known (IAM)
    path: str | None = None  # IAM's path


@dataclass(frozen=True, slots=True)
class Site:
    """Where an expired certificate is used, as the successor search needs it."""

    user_arn: str
    service: str  # the consumer: elb, elbv2, cloudfront, appsync
    region: str  # where the resource takes its certificate from (ACM region)


@dataclass(frozen=True, slots=True)
class Body:
    """What a certificate's body says that matters here."""

    names: tuple[str, ...]
    key_algorithm: str | None  # in ACM's words: RSA_2048, EC_prime256v1...


def read_body(body: str) -> Body:
    """The DNS names a PEM certificate serves (its subject alternative names, and its common name when it is a host
    name; lower case, without a trailing dot, in the certificate's order) and its key algorithm.

    ``cryptography`` is imported here, not at the top: only a run with an expired certificate in use reads a body,
    and a cold start does not pay for it otherwise. Raises ValueError when the body is not a certificate.
    """
    from cryptography import x509  # loaded only when a certificate in use must be read
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID

    certificate = x509.load_pem_x509_certificate(body.encode())
    names: list[str] = []
    for attribute in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME):
        value = attribute.value if isinstance(attribute.value, str) else attribute.value.decode()
        if _host_name(value):
            names.append(value)
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        pass
    else:
        names.extend(extension.value.get_values_for_type(x509.DNSName))
    key = certificate.public_key()
    algorithm = None
    if isinstance(key, rsa.RSAPublicKey):
        algorithm = f"RSA_{key.key_size}"
    elif isinstance(key, ec.EllipticCurvePublicKey):
        algorithm = EC_NAMES.get(key.curve.name, f"EC_{key.curve.name}")
    return Body(normalize(names), algorithm)


# cryptography's curve names in ACM's words.
EC_NAMES = {"secp256r1": "EC_prime256v1", "secp384r1": "EC_secp384r1", "secp521r1": "EC_secp521r1"}


def normalize(names: Iterable[str]) -> tuple[str, ...]:
    """Names as DNS compares them: lower case, no trailing dot, each once, in order."""
    return tuple(dict.fromkeys(name.strip().rstrip(".").lower() for name in names if name.strip()))


def _host_name(value: str) -> bool:
    return "." in value and " " not in value and "@" not in value


def covers(pattern: str, name: str) -> bool:
    """Whether a certificate name ``pattern`` covers ``name`` as TLS checks it: equal, or ``*.<rest>`` with ``name``
    being exactly one more label before ``<rest>``. A wildcard name needs the same wildcard."""
    pattern, name = pattern.rstrip(".").lower(), name.rstrip(".").lower()
    if pattern == name:
        return True
    if not pattern.startswith("*.") or name.startswith("*."):
        return False
    label, _, rest = name.partition(".")
    return bool(label) and bool(rest) and rest == pattern[2:]


def uncovered(offered: Sequence[str], needed: Sequence[str]) -> tuple[str, ...]:
    """The names of ``needed`` that no name of ``offered`` covers."""
    return tuple(name for name in needed if not any(covers(pattern, name) for pattern in offered))


def use_of(user_arn: str, service: str, partition: str) -> Site | None:
    """Where ``user_arn`` takes its certificate from: CloudFront from us-east-1 (cn-north-1 in China), any other
    resource from its own region. None when that cannot be told (no region in the ARN, a partition without
    CloudFront)."""
    parts = user_arn.split(":")
    if service == "cloudfront" or (len(parts) > 2 and parts[2] == "cloudfront"):
        region = CLOUDFRONT_ACM_REGION.get(partition)
        return Site(user_arn, "cloudfront", region) if region else None
    if len(parts) < 6 or not parts[3]:
        return None
    return Site(user_arn, service or parts[2], parts[3])


def service_of(user_arn: str) -> str:
    """The consumer an ARN names: ``elb`` (a Classic load balancer), ``elbv2`` (a listener), ``cloudfront``,
    ``appsync``; the ARN's service otherwise."""
    parts = user_arn.split(":", 5)
    if len(parts) < 6:
        return ""
    if parts[2] == "elasticloadbalancing":
        return "elbv2" if parts[5].startswith(("listener/", "loadbalancer/app/", "loadbalancer/net/")) else "elb"
    return parts[2]


def usable(candidate: Candidate, use: Site) -> bool:
    """Whether ``use``'s resource can serve ``candidate``: an ACM certificate of its region, with a key it accepts;
    an IAM one (CloudFront: uploaded under /cloudfront/) with such a key."""
    if candidate.source == ACM and candidate.region != use.region:
        return False
    if (
        candidate.source == IAM
        and use.service == "cloudfront"
        and not (candidate.path or "").startswith(CLOUDFRONT_PATH)
    ):
        return False
    accepted = KEY_ALGORITHMS.get(use.service)
    return accepted is None or candidate.key_algorithm in accepted


def choose(needed: Sequence[str], candidates: Iterable[Candidate], use: Site, now: datetime) -> Successor:
    """The successor of a certificate serving ``needed`` on ``use``: the usable, valid candidate covering every
    name, ACM first, then the latest expiry; otherwise none, with the closest candidate and what it misses."""
    valid = [c for c in candidates if c.not_after > now and usable(c, use)]
    complete = [c for c in valid if not uncovered(c.names, needed)]
    names = tuple(needed)
    if not needed:
        return Successor(use.user_arn, use.region, names, note="the expired certificate names no host")
    if complete:
        best = max(complete, key=lambda c: (c.source == ACM, c.not_after, c.arn))
        return Successor(use.user_arn, use.region, names, arn=best.arn, not_after=best.not_after, source=best.source)
    partial = [c for c in valid if len(uncovered(c.names, needed)) < len(needed)]
    if not partial:
        return Successor(use.user_arn, use.region, names)
    closest = min(partial, key=lambda c: (len(uncovered(c.names, needed)), c.source != ACM, c.arn))
    return Successor(use.user_arn, use.region, names, closest=closest.arn, missing=uncovered(closest.names, needed))
