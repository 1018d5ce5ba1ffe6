"""Checks on X.509 objects that several certificate services make, written once."""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from core.services.protocols import CertificateValidationError


def is_issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    """``parent`` names and signed ``child`` (any key type)."""
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def load_csr(csr_pem: str) -> x509.CertificateSigningRequest:
    """A PEM CSR whose signature holds (its requester has the key), or the refusal a
    SignCertificate answer carries."""
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode())
    except ValueError as exc:
        raise CertificateValidationError("other", "not a PEM certificate signing request") from exc
    if not csr.is_signature_valid:
        raise CertificateValidationError("other", "CSR signature is invalid")
    return csr
