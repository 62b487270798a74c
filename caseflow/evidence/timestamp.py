"""RFC 3161 timestamps of signed tree heads: ask a TSA over HTTP, check its replies.

Pure module (no Flask, no SQLAlchemy). Requests and replies are built and parsed by
`rfc3161-client`; only the HTTP POST is ours (standard library, no redirects followed).
"""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

CONTENT_TYPE = "application/timestamp-query"


class TimestampError(Exception):
    """The TSA could not be reached or refused the request."""


@dataclass(frozen=True)
class TimestampAuthority:
    """A TSA named in configuration: its URL and, for checking replies, its certificates."""

    url: str
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError("CASEFLOW_TSA_URL: an http:// or https:// URL")

    def __call__(self, data: bytes) -> tuple[str, bytes]:
        """Timestamp `data` (SHA-256 imprint, nonce, signer certificate requested); return
        (url, DER TimeStampResp). Raises TimestampError on any failure."""
        request = (
            TimestampRequestBuilder()
            .data(data)
            .hash_algorithm(HashAlgorithm.SHA256)
            .nonce(nonce=True)
            .cert_request(cert_request=True)
            .build()
        )
        http = urllib.request.Request(  # noqa: S310 - scheme checked in __post_init__
            self.url,
            data=request.as_bytes(),
            headers={"Content-Type": CONTENT_TYPE, "Accept": "application/timestamp-reply"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(http, timeout=self.timeout) as reply:  # noqa: S310 - as above
                body = reply.read(1 << 20)
        except OSError as exc:
            raise TimestampError(f"TSA {self.url} unreachable: {exc}") from exc
        try:
            response = decode_timestamp_response(body)
        except ValueError as exc:
            raise TimestampError(f"TSA {self.url} sent an unreadable reply") from exc
        if response.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
            raise TimestampError(f"TSA {self.url} refused: status {response.status}")
        if response.tst_info.nonce != request.nonce:
            raise TimestampError(f"TSA {self.url} reply does not answer our request (nonce)")
        return self.url, response.as_bytes()


def load_certificates(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(Path(path).read_bytes())


@dataclass(frozen=True)
class TimestampChecker:
    """Checks stored replies against the TSA's root (and optionally its signing certificate)."""

    roots: tuple[x509.Certificate, ...]
    tsa_certificate: x509.Certificate | None = None

    @classmethod
    def from_files(cls, ca_file: Path, tsa_cert_file: Path | None = None) -> TimestampChecker:
        tsa = load_certificates(tsa_cert_file)[0] if tsa_cert_file else None
        return cls(tuple(load_certificates(ca_file)), tsa)

    def __call__(self, data: bytes, response_der: bytes) -> str | None:
        """None when the reply is a valid timestamp of exactly `data`; otherwise why not."""
        try:
            response = decode_timestamp_response(response_der)
        except ValueError:
            return "is not a readable TimeStampResp"
        builder = VerifierBuilder()
        for root in self.roots:
            builder = builder.add_root_certificate(root)
        if self.tsa_certificate is not None:
            builder = builder.tsa_certificate(self.tsa_certificate)
        try:
            builder.build().verify_message(response, data)
        except VerificationError as exc:
            return f"does not verify ({exc})"
        return None
