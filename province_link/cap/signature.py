"""Enveloped XML signatures (XMLDSig) on CAP alerts, checked against the source's registered certificate.

A source the province registered with a certificate signs every alert; loaxa then reads only what the
signature covers (`VerifyResult.signed_xml`), so nothing can be slipped in beside a valid signature.
"""

from __future__ import annotations

from cryptography import x509
from lxml import etree
from signxml.exceptions import InvalidInput, InvalidSignature
from signxml.verifier import XMLVerifier

from province_link.cap.errors import CapSignatureInvalid
from province_link.cap.parse import check_schema, hardened_parser, has_signature


def parse_certificate(pem: str) -> x509.Certificate:
    """The source's X.509 certificate (PEM); ValueError if it is not one."""
    return x509.load_pem_x509_certificate(pem.encode())


def verified_root(root: etree._Element, data: bytes, certificate_pem: str) -> etree._Element:
    """The part of the alert the source's certificate signed (the whole alert, for an enveloped signature)."""
    if not has_signature(root):
        raise CapSignatureInvalid(
            "this source signs its alerts; the alert carries no XML signature",
            message_vi="Nguồn này phải ký số cảnh báo CAP (chữ ký XML), nhưng cảnh báo không có chữ ký.",
        )
    try:
        result = XMLVerifier().verify(data, x509_cert=certificate_pem, parser=hardened_parser())
    except (InvalidSignature, InvalidInput, ValueError) as exc:
        raise CapSignatureInvalid(f"XML signature does not verify: {exc}"[:2000]) from exc
    signed = result[0] if isinstance(result, list) else result
    element = signed.signed_xml
    if element is None or element.tag != root.tag:
        raise CapSignatureInvalid("the signature does not cover the whole alert")
    check_schema(element)
    return element
