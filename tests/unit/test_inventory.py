"""IAM inventory: every page, real dates and ids, tags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from cert_cleanup.aws import inventory
from cert_cleanup.errors import LookupFailed
from emulator import aws_fakes
from emulator.seed_certs import make_certificate
from tests.support import Fake

pytestmark = pytest.mark.safety


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
    assert (raised.value.failure.service, raised.value.failure.operation, raised.value.failure.code) == (
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
    assert raised.value.failure.code == "MalformedResponse"


def test_each_certificate_keeps_its_path_and_upload_date(aws: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given 5 certificates and a page size of 2
    monkeypatch.setattr(inventory, "PAGE_SIZE", 2)
    uploaded = {aws.certificate(f"edge-{index}", days=30, path="/cloudfront/")["Arn"] for index in range(5)}
    aws.count_calls()

    certificates = inventory.list_certificates(aws.clients.client("iam"))

    # Then IAM is asked for 2 at a time (3 pages), and each certificate keeps what IAM said
    assert aws.calls[("iam", "us-east-1", "ListServerCertificates")] == 3
    assert {cert.arn for cert in certificates} == uploaded
    assert {cert.path for cert in certificates} == {"/cloudfront/"}
    for cert in certificates:
        assert cert.upload_date is not None
        assert abs(cert.upload_date - aws.now) < timedelta(minutes=5)
        assert cert.upload_date.utcoffset() == timedelta(0)


def _metadata(**changes: object) -> dict[str, object]:
    item: dict[str, object] = {
        "ServerCertificateName": "odd",
        "ServerCertificateId": "ASCAODD",
        "Arn": "arn:aws:iam::123456789012:server-certificate/odd",
        "Path": "/",
        "Expiration": datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))),
    }
    item.update(changes)
    return {"ServerCertificateMetadataList": [item], "IsTruncated": False}


def test_times_are_read_in_utc_and_an_absent_upload_date_is_none(aws: Fake) -> None:
    aws.respond("iam", "ListServerCertificates", _metadata())
    [cert] = inventory.list_certificates(aws.clients.client("iam"))
    assert cert.expiration == datetime(2026, 1, 2, 1, 4, 5, tzinfo=UTC)
    assert cert.expiration.utcoffset() == timedelta(0)
    assert cert.upload_date is None


@pytest.mark.parametrize("expiration", ["2026-01-02", datetime(2026, 1, 2, 3, 4, 5)])
def test_a_time_without_its_zone_is_not_understood(aws: Fake, expiration: object) -> None:
    # A date AWS did not give as a zoned timestamp could be hours off: the listing fails closed
    aws.respond("iam", "ListServerCertificates", _metadata(Expiration=expiration))
    with pytest.raises(LookupFailed) as raised:
        inventory.list_certificates(aws.clients.client("iam"))
    assert raised.value.failure.code == "MalformedResponse"
    assert raised.value.failure.message == f"TypeError: expected a timestamp with its time zone, got {expiration!r}"


@pytest.mark.parametrize(
    ("operation", "call"),
    [
        ("ListServerCertificates", inventory.list_certificates),
        ("ListServerCertificateTags", lambda iam: inventory.list_tags(iam, "any")),
        ("GetServerCertificate", lambda iam: inventory.get_material(iam, "any")),
    ],
)
def test_a_failed_iam_read_names_iam_global_and_the_operation(aws: Fake, operation: str, call: Any) -> None:
    aws.fail("iam", operation, "Throttling", "Rate exceeded")
    with pytest.raises(LookupFailed) as raised:
        call(aws.clients.client("iam"))
    failed = raised.value.failure
    assert (failed.service, failed.region, failed.operation, failed.code, failed.message) == (
        "iam",
        "global",
        operation,
        "Throttling",
        "Rate exceeded",
    )


def test_material_without_tags_in_the_answer_has_no_tags(aws: Fake) -> None:
    # IAM leaves out an empty tag list
    aws.respond("iam", "GetServerCertificate", {"ServerCertificate": {"CertificateBody": "PEM"}})
    assert inventory.get_material(aws.clients.client("iam"), "any") == {"body": "PEM", "chain": None, "tags": {}}


def test_material_is_the_body_the_chain_and_the_tags(aws: Fake) -> None:
    # Given a certificate uploaded with a chain and two tags
    body, key = make_certificate("chained.example.com", not_after=aws.now + timedelta(days=-2))
    chain, _ = make_certificate("intermediate.example.com", not_after=aws.now + timedelta(days=300))
    aws.iam.upload_server_certificate(
        ServerCertificateName="chained",
        CertificateBody=body,
        PrivateKey=key,
        CertificateChain=chain,
        Tags=[{"Key": "team", "Value": "edge"}, {"Key": "ticket", "Value": "OPS-1"}],
    )
    aws.certificate("plain", days=-2)

    iam = aws.clients.client("iam")
    chained = inventory.get_material(iam, "chained")
    plain = inventory.get_material(iam, "plain")

    # (the emulator's answer may drop or keep a PEM's final newline)
    assert {**chained, "body": chained["body"].strip(), "chain": chained["chain"].strip()} == {
        "body": body.strip(),
        "chain": chain.strip(),
        "tags": {"team": "edge", "ticket": "OPS-1"},
    }
    assert plain["chain"] is None
    assert plain["tags"] == {}
    assert plain["body"].startswith("-----BEGIN CERTIFICATE-----")
    assert plain["body"] != body
