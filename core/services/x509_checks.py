"""Checks on X.509 objects, and the id a certificate is known by: written once for the
certificate services, the handlers and the application service."""

from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

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


def certificate_id(cert: x509.Certificate) -> str:
    """Hex SHA-256 of the certificate's DER: the id a certificate is stored and shown by (the
    seed's install-certificate id)."""
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def chain_certificate_id(pem_chain: str) -> str:
    """The :func:`certificate_id` of a PEM chain's first (leaf) certificate."""
    return certificate_id(x509.load_pem_x509_certificate(pem_chain.encode()))
