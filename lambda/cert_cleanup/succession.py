"""Name the successor of each expired certificate still in use: read-only, best effort.

For each resource that uses an expired certificate, the certificate that can replace it there (successor.py
decides): ACM's issued certificates of the region the resource takes its certificate from, and the account's
valid IAM server certificates. Nothing here can fail a run or keep a certificate: a call that fails becomes a
warning of the run and a note on the successors it concerned, and every other certificate is decided as before.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from cert_cleanup.aws import acm, inventory
from cert_cleanup.aws.clients import MAX_IN_FLIGHT, AwsClients
from cert_cleanup.config.observability import logger
from cert_cleanup.errors import LookupFailed
from cert_cleanup.models import Action, CertificateResult, FailedLookup, RunResult, Successor
from cert_cleanup.successor import IAM, Candidate, Site, choose, read_body, service_of, use_of

T = TypeVar("T")
R = TypeVar("R")
# The certificates that can still serve: any IAM certificate not yet expired.
VALID = frozenset({Action.VALID, Action.EXPIRING_SOON})


@dataclass
class Named:
    """The successors of each expired certificate in use (by its name), and the warnings met naming them. Only the
    caller writes them to the result (``apply``): a search left behind past its budget changes nothing."""

    successors: dict[str, tuple[Successor, ...]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def apply(self, result: RunResult) -> None:
        for row in result.certificates:
            if row.certificate.name in self.successors:
                row.successors = self.successors[row.certificate.name]
        result.warnings.extend(self.warnings)


def name_successors(
    clients: AwsClients, result: RunResult, now: datetime, materials: dict[str, dict[str, Any]] | None = None
) -> Named:
    """The successors of each row of ``result`` whose expired certificate is in use, and the warnings; reads
    ``result``, never writes it.

    ``materials``: bodies already read this run (archiving reads them with the tags), by certificate name.
    """
    named = Named()
    rows = [row for row in result.certificates if row.action is Action.IN_USE and row.used_by]
    if not rows:
        return named
    materials = materials or {}
    partition = clients.partition or "aws"
    iam = clients.client("iam")
    sites = {row.certificate.name: _sites(row, partition) for row in rows}
    regions = sorted({site.region for row_sites in sites.values() for site in row_sites if site is not None})
    acm_read: dict[str, list[Candidate] | FailedLookup] = dict(
        zip(regions, _bounded(lambda region: _acm(clients, region), regions), strict=True)
    )
    for region, read in acm_read.items():
        if isinstance(read, FailedLookup):
            _warn(
                named, f"ACM could not be read in {region} ({read.code}: {read.message}): no successor is named there"
            )
    iam_candidates = _iam_candidates(iam, result, named)
    for row in rows:
        try:
            needed = read_body(_body(iam, row, materials)).names
        except (LookupFailed, ValueError) as exc:
            why = str(exc.failure) if isinstance(exc, LookupFailed) else f"its body could not be read ({exc})"
            _warn(named, f"the names {row.certificate.name} serves could not be read: {why}")
            named.successors[row.certificate.name] = tuple(
                Successor(arn, site.region if site else "", (), note="the expired certificate could not be read")
                for arn, site in zip(row.used_by, sites[row.certificate.name], strict=True)
            )
            continue
        successors = []
        for user_arn, site in zip(row.used_by, sites[row.certificate.name], strict=True):
            if site is None:
                successors.append(
                    Successor(user_arn, "", needed, note="where this resource takes its certificate from is not known")
                )
                continue
            read = acm_read[site.region]
            if isinstance(read, FailedLookup):
                successors.append(
                    Successor(
                        user_arn, site.region, needed, note=f"ACM could not be read in {site.region} ({read.code})"
                    )
                )
                continue
            successors.append(choose(needed, [*read, *iam_candidates], site, now))
        named.successors[row.certificate.name] = tuple(successors)
        for successor in successors:
            logger.info(
                "successor", certificate=row.certificate.name, used_by=successor.used_by, successor=successor.text()
            )
    return named


def _sites(row: CertificateResult, partition: str) -> list[Site | None]:
    return [use_of(user_arn, service_of(user_arn), partition) for user_arn in row.used_by]


def _acm(clients: AwsClients, region: str) -> list[Candidate] | FailedLookup:
    try:
        return acm.issued_certificates(clients.client("acm", region), region)
    except LookupFailed as exc:
        return exc.failure


def _body(iam: Any, row: CertificateResult, materials: dict[str, dict[str, Any]]) -> str:
    material = materials.get(row.certificate.name) or inventory.get_material(iam, row.certificate.name)
    return str(material["body"])


def _iam_candidates(iam: Any, result: RunResult, named: Named) -> list[Candidate]:
    """The account's valid IAM server certificates with the names each serves (one GetServerCertificate each)."""
    rows = [row for row in result.certificates if row.action in VALID]

    def read(row: CertificateResult) -> Candidate | str:
        cert = row.certificate
        try:
            body = read_body(str(inventory.get_material(iam, cert.name)["body"]))
        except LookupFailed as exc:
            return f"{cert.name} ({exc.failure.code})"
        except ValueError as exc:
            return f"{cert.name} (body not readable: {exc})"
        return Candidate(cert.arn, IAM, body.names, cert.expiration, key_algorithm=body.key_algorithm, path=cert.path)

    candidates = []
    unread = []
    for read_one in _bounded(read, rows):
        if isinstance(read_one, Candidate):
            candidates.append(read_one)
        else:
            unread.append(read_one)
    if unread:
        _warn(named, f"valid IAM certificates not considered as successors, could not be read: {', '.join(unread)}")
    return candidates


def _warn(named: Named, warning: str) -> None:
    named.warnings.append(warning)
    logger.warning("successor search", warning=warning)


def _bounded(fn: Callable[[T], R], items: list[T]) -> list[R]:
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=min(MAX_IN_FLIGHT, len(items))) as pool:
        return list(pool.map(fn, items))
