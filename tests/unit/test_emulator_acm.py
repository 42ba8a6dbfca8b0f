"""The emulator's ACM and certificate-swap patches behave as the API references say (emulator/aws_fakes.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator import seed, seed_certs
from tests.support import Fake

REGION = "eu-west-1"


def test_list_certificates_gives_rsa_1024_and_2048_only_unless_includes_names_other_key_types(aws: Fake) -> None:
    acm = aws.session.client("acm", region_name=REGION)
    later = aws.now + timedelta(days=100)
    rsa = seed_certs.import_to_acm(acm, ("rsa.example.com",), not_after=later, key="rsa")
    ecdsa = seed_certs.import_to_acm(acm, ("ec.example.com",), not_after=later, key="ec")

    default = acm.list_certificates()["CertificateSummaryList"]
    every = acm.list_certificates(Includes={"keyTypes": ["RSA_2048", "EC_prime256v1"]})["CertificateSummaryList"]

    assert [item["CertificateArn"] for item in default] == [rsa]
    assert {item["CertificateArn"] for item in every} == {rsa, ecdsa}


def test_list_certificates_summarises_the_first_100_names_and_says_there_are_more(aws: Fake) -> None:
    acm = aws.session.client("acm", region_name=REGION)
    names = tuple(f"host{index}.example.com" for index in range(101))
    arn = seed_certs.import_to_acm(acm, names, not_after=aws.now + timedelta(days=100))

    [summary] = acm.list_certificates()["CertificateSummaryList"]
    described = acm.describe_certificate(CertificateArn=arn)["Certificate"]

    assert summary["SubjectAlternativeNameSummaries"] == list(names[:100])
    assert summary["HasAdditionalSubjectAlternativeNames"] is True
    assert "SubjectAlternativeNames" not in summary
    assert set(described["SubjectAlternativeNames"]) == set(names)


def test_list_certificates_pages_with_max_items_and_next_token(aws: Fake) -> None:
    acm = aws.session.client("acm", region_name=REGION)
    arns = {
        seed_certs.import_to_acm(acm, (f"h{index}.example.com",), not_after=aws.now + timedelta(days=100))
        for index in range(3)
    }
    first = acm.list_certificates(MaxItems=2)
    second = acm.list_certificates(MaxItems=2, NextToken=first["NextToken"])
    assert len(first["CertificateSummaryList"]) == 2
    assert "NextToken" not in second
    assert {
        item["CertificateArn"] for item in [*first["CertificateSummaryList"], *second["CertificateSummaryList"]]
    } == arns


def test_update_distribution_refuses_a_stale_etag_and_gives_a_new_one(aws: Fake) -> None:
    cert = aws.certificate("cdn", days=100, path="/cloudfront/")
    distribution = seed.cloudfront_distribution(aws.session, "cdn", cert["ServerCertificateId"]).rsplit("/", 1)[1]
    cloudfront = aws.session.client("cloudfront")
    read = cloudfront.get_distribution_config(Id=distribution)
    config, etag = read["DistributionConfig"], read["ETag"]

    updated = cloudfront.update_distribution(Id=distribution, IfMatch=etag, DistributionConfig=config)

    assert updated["ETag"] != etag
    with pytest.raises(ClientError) as refused:
        cloudfront.update_distribution(Id=distribution, IfMatch=etag, DistributionConfig=config)
    assert refused.value.response["Error"]["Code"] == "PreconditionFailed"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412


@pytest.mark.parametrize(
    ("balancer", "protocol"), [(seed.alb_with_certificates, "HTTPS"), (seed.nlb_with_certificates, "TLS")]
)
def test_modify_listener_replaces_the_default_certificate_only(aws: Fake, balancer: Any, protocol: str) -> None:
    # AWS applies Certificates to "HTTPS and TLS listeners" (ModifyListener); moto alone ignored them on TLS
    default = aws.certificate("default", days=100)["Arn"]
    extra = aws.certificate("extra", days=100)["Arn"]
    new = aws.certificate("new", days=200)["Arn"]
    listener = balancer(aws.session, REGION, "shop", default, [extra])
    elbv2 = aws.session.client("elbv2", region_name=REGION)

    elbv2.modify_listener(ListenerArn=listener, Certificates=[{"CertificateArn": new}])

    held = elbv2.describe_listener_certificates(ListenerArn=listener)["Certificates"]
    assert sorted((cert["CertificateArn"], cert["IsDefault"]) for cert in held) == sorted([(new, True), (extra, False)])
    [described] = elbv2.describe_listeners(ListenerArns=[listener])["Listeners"]
    assert (described["Protocol"], described["Certificates"]) == (protocol, [{"CertificateArn": new}])
    with pytest.raises(ClientError) as refused:
        elbv2.modify_listener(ListenerArn=listener, Certificates=[{"CertificateArn": new + "-none"}])
    assert refused.value.response["Error"]["Code"] == "CertificateNotFound"
