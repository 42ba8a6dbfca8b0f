"""The IAM permissions a module's calls need, declared beside the calls (each module's ``PERMISSIONS``).

The stack grants exactly these (``cert_cleanup.job.permissions`` says which apply under which settings):
a call cannot ship without its permission, and a removed call leaves no stale grant. Resources are
named here by what they are; the stack writes their ARNs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class On(StrEnum):
    """What a permission is granted on."""

    ANY = "*"  # IAM's authorization reference lists no resource type for the action: "*" is the only one
    SERVER_CERTIFICATES = "server-certificates"  # this account's IAM server certificates
    ARCHIVE = "archive"  # the archive bucket's objects under this account's prefix
    TOPIC = "topic"  # the results topic
    TOPIC_KEY = "topic-key"  # the results topic's KMS key
    RESULTS_BUS = "results-bus"  # the organization's central event bus of member results
    CHAT_TOPIC = "chat-topic"  # the chat channel's topic (same key)
    CONFIG_RULES = "config-rules"  # this account's AWS Config rules
    THIS_FUNCTION = "this-function"  # the function itself
    DIGEST_QUEUE = "digest-queue"  # the organization's queue of member results
    REPORTS = "reports"  # the digest's report bucket's objects under names.REPORT_PREFIX
    REPORT_BUCKET = "report-bucket"  # the digest's report bucket itself (listing)
    DIGEST_STATE = "digest-state"  # the digest's state object (names.DIGEST_STATE_KEY) in its report bucket
    ORGANIZATION_UNITS = "organization-units"  # this organization's root and OUs (their ARNs hold its id)
    SECURITY_HUB = "security-hub"  # this account's Security Hub hubs (hub/default, hubv2/*)
    LEASE_TABLE = "lease-table"  # the stack's run-lease table (aws/lease.py)
    ACM_CERTIFICATES = "acm-certificates"  # this account's ACM certificates, in any region


@dataclass(frozen=True, slots=True)
class Permission:
    """One IAM action on ``on``; ``regions``: the only regions the call is made in (aws:RequestedRegion)."""

    action: str
    on: On = On.ANY
    regions: tuple[str, ...] = ()
