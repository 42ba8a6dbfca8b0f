"""Property: across random accounts, faults and settings, a run deletes exactly the certificates
that are expired past grace, not exempt, and proven unused by a complete search, and no other.

It holds without IAM's safety net: the emulator deletes a certificate a load balancer uses, as AWS may
(emulator/aws_fakes.py), and no delete may even be tried for a certificate in use. Every expired certificate
the search finds in use is named with the resource that uses it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cert_cleanup import job
from cert_cleanup.config.settings import Settings
from cert_cleanup.errors import RunFailed
from emulator import seed
from tests.support import CONTEXT, SERVICE_IDS, fake_aws

USERS = ("none", "classic", "alb_default", "alb_additional", "cloudfront", "appsync")
FAULTS = (
    None,
    ("elb", "DescribeLoadBalancers"),
    ("elbv2", "DescribeListenerCertificates"),
    ("cloudfront", "ListDistributions"),
    ("appsync", "ListDomainNames"),
    ("iam", "ListServerCertificateTags"),
)

certificate_strategy = st.fixed_dictionaries(
    {
        "days": st.integers(min_value=-60, max_value=60),
        "exempt": st.booleans(),
        "user": st.sampled_from(USERS),
        "region": st.sampled_from(("us-east-1", "eu-west-1")),
    }
)


def _dangerous_examples() -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Every consumer kind crossed with every failure kind, tested on every run (not when drawn):
    an expired certificate used by that consumer in eu-west-1, beside an expired unused one."""

    def add(test: Callable[..., None]) -> Callable[..., None]:
        for user in USERS[1:]:
            for fault in FAULTS:
                certificates = [
                    {"days": -30, "exempt": False, "user": user, "region": "eu-west-1"},
                    {"days": -30, "exempt": False, "user": "none", "region": "us-east-1"},
                ]
                test = example(certificates=certificates, grace_days=0, dry_run=False, fault=fault)(test)
        return test

    return add


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@_dangerous_examples()
@given(
    certificates=st.lists(certificate_strategy, min_size=1, max_size=6),
    grace_days=st.integers(min_value=0, max_value=30),
    dry_run=st.booleans(),
    fault=st.sampled_from(FAULTS),
)
def test_run_deletes_exactly_the_safe_certificates(
    certificates: list[dict[str, Any]], grace_days: int, dry_run: bool, fault: tuple[str, str] | None
) -> None:
    with fake_aws() as aws:
        # Given an account built from the drawn certificates
        anchor = aws.certificate("anchor", days=365)["Arn"]
        listener_extras: dict[str, list[str]] = {}
        names = []
        for index, spec in enumerate(certificates):
            name = f"c{index}"
            names.append(name)
            path = "/cloudfront/" if spec["user"] == "cloudfront" else "/"
            tags = {"cert-cleanup:exempt": "true"} if spec["exempt"] else None
            metadata = aws.certificate(name, days=spec["days"] - 0.01, path=path, tags=tags)
            arn, region = metadata["Arn"], spec["region"]
            if spec["user"] == "classic":
                seed.classic_elb(aws.session, region, f"lb{index}", arn)
            elif spec["user"] == "alb_default":
                seed.alb_with_certificates(aws.session, region, f"alb{index}", arn, [])
            elif spec["user"] == "alb_additional":
                listener_extras.setdefault(region, []).append(arn)
            elif spec["user"] == "cloudfront":
                seed.cloudfront_distribution(aws.session, f"d{index}", metadata["ServerCertificateId"])
            elif spec["user"] == "appsync":
                seed.appsync_domain(aws.session, region, f"api{index}.example.com", arn)
        for region, extras in listener_extras.items():
            seed.alb_with_certificates(aws.session, region, f"shared-{region}", anchor, extras)
        aws.count_calls()  # registered first: it sees a call even when the fault below answers it
        if fault:
            aws.fail(fault[0], fault[1], "AccessDenied", "injected")
        topic = aws.session.client("sns").create_topic(Name="t")["TopicArn"]
        config = Settings.build(SNS_TOPIC_ARN=topic, GRACE_DAYS=grace_days, DRY_RUN=str(dry_run).lower())

        # When the scheduled run happens
        document: dict[str, Any] = {}
        with contextlib.suppress(RunFailed):
            document = job.handle({}, CONTEXT, settings=config, clients=aws.clients)

        # Then exactly the safe certificates are gone
        def safe(spec: dict[str, Any]) -> bool:
            return -spec["days"] >= grace_days and not spec["exempt"] and spec["user"] == "none"

        # A fault counts when the run reached the faulted call (no ALB, no ListenerCertificates call)
        faulted = fault is not None and any(
            service == SERVICE_IDS[fault[0]] and operation == fault[1] for service, _, operation in aws.calls
        )
        expected_deleted = (
            set()
            if dry_run or faulted
            else {name for name, spec in zip(names, certificates, strict=True) if safe(spec)}
        )
        assert aws.names_left() == ({"anchor", *names} - expected_deleted)
        # And a delete was tried for exactly those, once each: none for a certificate in use
        assert sorted(aws.deletes) == sorted(expected_deleted)
        # And a clean run names, for each expired certificate in use that could otherwise go, what uses it
        if document and not faulted:
            rows = {row["name"]: row for row in document["certificates"]}
            for name, spec in zip(names, certificates, strict=True):
                if -spec["days"] >= grace_days and not spec["exempt"] and spec["user"] != "none":
                    assert (rows[name]["action"], bool(rows[name]["used_by"])) == ("in_use", True), name
