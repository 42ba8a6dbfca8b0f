"""Self-signed certificates with chosen validity, for seeding a fake account."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


@cache
def _key(kind: str = "ec") -> PrivateKey:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def make_certificate(
    common_name: str,
    *,
    not_after: datetime,
    days_valid: int = 365,
    names: tuple[str, ...] = (),
    key: str = "ec",
) -> tuple[str, str]:
    """Return (certificate PEM, private key PEM) for a certificate expiring at ``not_after``, serving
    ``common_name`` and ``names`` (subject alternative names), with an ``ec`` (P-256) or ``rsa`` (2048) key."""
    private_key = _key(key)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    not_before = min(not_after - timedelta(days=days_valid), not_after - timedelta(hours=1))
    alternative = [x509.DNSName(name) for name in dict.fromkeys((common_name, *names))]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
        .sign(private_key, hashes.SHA256())
    )
    body = certificate.public_bytes(serialization.Encoding.PEM).decode()
    private = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return body, private


def import_to_acm(acm: Any, names: tuple[str, ...], *, not_after: datetime, key: str = "rsa") -> str:
    """Import a certificate serving ``names`` (the first is its common name) into ACM; return its ARN."""
    body, private = make_certificate(names[0], not_after=not_after, names=names[1:], key=key, days_valid=3650)
    return str(acm.import_certificate(Certificate=body.encode(), PrivateKey=private.encode())["CertificateArn"])
