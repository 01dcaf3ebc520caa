"""Taking in CAP alerts (`province_link.cap.intake`) on a real database, rule by rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml.signer import XMLSigner
from sqlmodel import Session, col, select

from controller.accounts import Role, UserCreate, create_user
from controller.db import make_engine, session_factory
from controller.settings import DatabaseSettings
from devices.registry import DeviceCreate, add_commune, add_device, add_province
from province_link import (
    AlertState,
    CapAlert,
    CapAreaCode,
    CapIntakeResult,
    CapSourceSetting,
    SourceSystem,
    receive_cap,
)
from province_link.cap import CapSignatureInvalid
from tests.cap_messages import cap_alert, reference
from tests.source_system import SourceSigner

NOW = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
MAX = 512 * 1024


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine = make_engine(DatabaseSettings(url=database_url))
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


class Province:
    """Long An with three communes (XA-A and XA-B in district 801), clusters with GPS, and a source."""

    def __init__(self, session: Session) -> None:
        self.session = session
        province = add_province(session, "LA", "Tỉnh Long An")
        communes = {}
        for code, admin in (("XA-A", "80101"), ("XA-B", "80102"), ("XA-C", "80103")):
            communes[code] = add_commune(session, province, code, f"Xã {code[-1]}")
            communes[code].admin_code = admin
        other = add_commune(session, add_province(session, "Q", "Tỉnh Q"), "XA-Q", "Xã Q")
        other.admin_code = "90101"
        for code in ("XA-A", "XA-B"):
            session.add(CapAreaCode(code="801", commune_id=communes[code].id or 0))
        for code, commune, lat in (("LA-1", "XA-A", 10.50), ("LA-2", "XA-B", 10.60), ("LA-3", "XA-C", 10.70)):
            add_device(
                session,
                communes[commune],
                code,
                hash_iterations=101,
                metadata=DeviceCreate(code=code, latitude=lat, longitude=106.40),
            )
        account = create_user(
            session,
            UserCreate(username="nguon.stp-la", role=Role.OFFICER, password="password-1"),
            province_id=province.id,
            communes=[],
        )
        assert province.id is not None and account.id is not None
        self.source = SourceSystem(
            code="STP-LA",
            name="Ban Chỉ huy PCTT",
            province_id=province.id,
            public_key_b64=SourceSigner("STP-LA").public_key,
            author_id=account.id,
        )
        session.add(self.source)
        session.flush()

    def send(self, data: bytes) -> CapIntakeResult:
        return receive_cap(self.session, self.source, data, now=NOW, max_bytes=MAX)

    def alerts(self) -> list[CapAlert]:
        return list(self.session.exec(select(CapAlert).order_by(col(CapAlert.id))))


def test_an_actual_alert_for_a_district_waits_for_confirmation_on_its_communes(session: Session) -> None:
    province = Province(session)
    result = province.send(cap_alert(geocodes=("801",)))
    assert result.refusal is None and not result.air_now
    alert = result.alert
    assert alert.state == AlertState.PENDING
    assert alert.reach == {"XA-A": None, "XA-B": None}
    assert (alert.priority, alert.event, alert.title) == ("khan_cap", "Lũ quét", "Cảnh báo lũ quét")
    assert alert.text.startswith("Mưa lớn gây lũ quét")


def test_the_same_alert_twice_is_stored_once(session: Session) -> None:
    province = Province(session)
    first = province.send(cap_alert())
    again = province.send(cap_alert())
    assert again.duplicate and again.alert.id == first.alert.id
    assert len(province.alerts()) == 1


@pytest.mark.parametrize("status", ["Test", "Exercise", "System", "Draft"])
def test_only_actual_alerts_may_air(session: Session, status: str) -> None:
    province = Province(session)
    alert = province.send(cap_alert(status=status)).alert
    assert alert.state == AlertState.HELD and status in alert.reason
    assert alert.reach == {"XA-A": None}  # visible, with where it would have aired


def test_restricted_and_expired_alerts_are_held(session: Session) -> None:
    province = Province(session)
    assert province.send(cap_alert("R1", scope="Restricted")).alert.state == AlertState.HELD
    expired = province.send(cap_alert("E1", expires=NOW - timedelta(minutes=1))).alert
    assert expired.state == AlertState.HELD and "hết hiệu lực" in expired.reason


def test_an_alert_whose_area_matches_nothing_is_refused_with_the_reason(session: Session) -> None:
    province = Province(session)
    for data in (cap_alert("N1", geocodes=("90101",)), cap_alert("N2", geocodes=(), circles=("21.0,105.8 5",))):
        result = province.send(data)
        assert result.refusal is not None and result.alert.state == AlertState.REFUSED
        assert "Vùng cảnh báo" in result.alert.reason
    # refused alerts keep no identity: the corrected alert is taken
    assert province.send(cap_alert("N1")).alert.state == AlertState.PENDING


def test_polygons_and_circles_reach_clusters_by_gps(session: Session) -> None:
    province = Province(session)
    square = "10.55,106.3 10.55,106.5 10.65,106.5 10.65,106.3 10.55,106.3"
    alert = province.send(cap_alert("P1", geocodes=(), polygons=(square,), circles=("10.70,106.40 1",))).alert
    assert alert.reach == {"XA-B": None, "XA-C": None}


def test_malformed_and_schema_invalid_alerts_are_kept_as_refused(session: Session) -> None:
    province = Province(session)
    for data in (b"<alert", cap_alert().replace(b"<scope>Public</scope>", b"")):
        result = province.send(data)
        assert result.refusal is not None
    assert [a.state for a in province.alerts()] == [AlertState.REFUSED, AlertState.REFUSED]


def test_an_update_replaces_a_pending_alert(session: Session) -> None:
    province = Province(session)
    first = province.send(cap_alert("A1")).alert
    update = province.send(
        cap_alert("A2", msg_type="Update", references=reference("A1"), geocodes=("80103",), description="Nước lên.")
    ).alert
    assert update.state == AlertState.PENDING and update.replaces_id == first.id
    assert update.reach == {"XA-C": None} and update.text.startswith("Nước lên.")
    session.refresh(first)
    assert first.state == AlertState.SUPERSEDED


def test_a_cancel_ends_the_earlier_alert(session: Session) -> None:
    province = Province(session)
    pending = province.send(cap_alert("A1")).alert
    aired = province.send(cap_alert("A2")).alert
    aired.state = AlertState.AIRED
    cancel = province.send(cap_alert("C1", msg_type="Cancel", references=f"{reference('A1')} {reference('A2')}"))
    assert cancel.alert.state == AlertState.APPLIED
    assert [a.id for a in cancel.to_end] == [aired.id]  # the caller ends its emergency
    session.refresh(pending)
    assert (pending.state, aired.state) == (AlertState.CANCELLED, AlertState.CANCELLED)
    unknown = province.send(cap_alert("C2", msg_type="Cancel", references=reference("NOPE")))
    assert unknown.refusal is not None and "không trỏ tới" in unknown.alert.reason


def test_a_test_cancel_acts_on_nothing(session: Session) -> None:
    province = Province(session)
    pending = province.send(cap_alert("A1")).alert
    province.send(cap_alert("C1", status="Test", msg_type="Cancel", references=reference("A1")))
    assert pending.state == AlertState.PENDING


def test_auto_air_by_the_provinces_choice_of_severity(session: Session) -> None:
    province = Province(session)
    session.add(CapSourceSetting(source_id=province.source.id or 0, auto_air_severities=["Extreme"], updated_at=NOW))
    assert province.send(cap_alert("X1", severity="Extreme")).air_now
    assert not province.send(cap_alert("S1", severity="Severe")).air_now


def _certificate() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "canhbao.longan.gov.vn")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.now(UTC) - dt.timedelta(days=1))
        .not_valid_after(datetime.now(UTC) + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM).decode()


def _sign(data: bytes, key: rsa.RSAPrivateKey, cert: str) -> bytes:
    root = etree.fromstring(data)
    signed = XMLSigner().sign(root, key=key, cert=cert)
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def test_a_source_that_signs_must_sign_every_alert(session: Session) -> None:
    province = Province(session)
    key, cert = _certificate()
    session.add(CapSourceSetting(source_id=province.source.id or 0, certificate_pem=cert, updated_at=NOW))
    signed = province.send(_sign(cap_alert("S1"), key, cert)).alert
    assert signed.state == AlertState.PENDING and signed.signed

    unsigned = province.send(cap_alert("S2"))
    assert isinstance(unsigned.refusal, CapSignatureInvalid) and unsigned.alert.state == AlertState.REFUSED

    other_key, other_cert = _certificate()
    forged = province.send(_sign(cap_alert("S3"), other_key, other_cert))
    assert isinstance(forged.refusal, CapSignatureInvalid)

    tampered = _sign(cap_alert("S4"), key, cert).replace(b"80101", b"80103")
    assert isinstance(province.send(tampered).refusal, CapSignatureInvalid)
