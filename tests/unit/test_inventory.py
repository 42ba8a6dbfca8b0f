"""IAM inventory: every page, real dates and ids, tags."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cert_cleanup import inventory
from cert_cleanup.errors import LookupFailed
from emulator import aws_fakes
from tests.support import Fake


def test_lists_every_certificate_across_short_pages(aws: Fake) -> None:
    # Given 11 certificates and an IAM that returns at most 3 per page
    for index in range(11):
        aws.certificate(f"cert-{index:02d}", days=index - 5)
    aws_fakes.SETTINGS.iam_page_cap = 3
    aws.count_calls()

    # When listed
    certificates = inventory.list_certificates(aws.clients.client("iam"))

    # Then all are there, read in four pages, each with its own id and its body's expiry
    assert sorted(cert.name for cert in certificates) == [f"cert-{index:02d}" for index in range(11)]
    assert aws.calls[("iam", "us-east-1", "ListServerCertificates")] == 4
    assert len({cert.id for cert in certificates}) == 11
    by_name = {cert.name: cert for cert in certificates}
    delta = by_name["cert-10"].expiration - by_name["cert-00"].expiration
    assert abs(delta - timedelta(days=10)) < timedelta(seconds=2)
    assert all(cert.expiration.tzinfo is not None for cert in certificates)


def test_reads_tags_and_the_exemption(aws: Fake) -> None:
    aws.certificate("pinned", days=-3, tags={"cert-cleanup:exempt": " True ", "team": "edge"})
    tags = inventory.list_tags(aws.clients.client("iam"), "pinned")
    assert tags == {"cert-cleanup:exempt": " True ", "team": "edge"}
    assert inventory.is_exempt(tags, "cert-cleanup:exempt") is True
    assert inventory.is_exempt({"cert-cleanup:exempt": "yes"}, "cert-cleanup:exempt") is False
    assert inventory.is_exempt({}, "cert-cleanup:exempt") is False


def test_a_failed_listing_is_a_named_lookup_failure(aws: Fake) -> None:
    aws.fail("iam", "ListServerCertificates", "AccessDenied", "not authorized")
    with pytest.raises(LookupFailed) as raised:
        inventory.list_certificates(aws.clients.client("iam"))
    assert (raised.value.service, raised.value.operation, raised.value.code) == (
        "iam",
        "ListServerCertificates",
        "AccessDenied",
    )


def test_a_malformed_listing_is_a_lookup_failure(aws: Fake) -> None:
    aws.respond(
        "iam", "ListServerCertificates", {"ServerCertificateMetadataList": [{"Path": "/"}], "IsTruncated": False}
    )
    with pytest.raises(LookupFailed) as raised:
        inventory.list_certificates(aws.clients.client("iam"))
    assert raised.value.code == "MalformedResponse"
