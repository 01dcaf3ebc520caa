from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from controller.app import create_app, server_config
from controller.settings import Settings


def test_nested_sections_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOAXA_DATABASE__URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("LOAXA_MQTT__PORT", "8883")
    monkeypatch.setenv("LOAXA_NODE__SINK", "pyaudio")
    settings = Settings()
    assert settings.database.url == "postgresql+psycopg://u@h/db"
    assert settings.mqtt.port == 8883 and settings.node.sink == "pyaudio"


@pytest.mark.parametrize("env", ["dev", "demo", "test"])
def test_defaults_are_fine_for_development(env: str) -> None:
    assert Settings(env=env).env == env


def test_production_refuses_default_secret_key() -> None:
    with pytest.raises(ValidationError, match="LOAXA_SECRET_KEY"):
        Settings(env="production")


def test_production_refuses_default_mqtt_password() -> None:
    with pytest.raises(ValidationError, match="LOAXA_MQTT__PASSWORD"):
        Settings(env="production", secret_key="k" * 40)


def test_production_with_real_secrets_starts() -> None:
    settings = Settings(env="production", secret_key="k" * 40, mqtt={"password": "p" * 20})
    assert settings.env == "production"


def test_invalid_value_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOAXA_MQTT__PORT", "not-a-port")
    with pytest.raises(ValidationError, match="port"):
        Settings()


def test_publication_lead_may_not_exceed_the_horizon(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOAXA_SCHEDULER__PLAYLIST_HORIZON_H", "0.25")
    monkeypatch.setenv("LOAXA_SCHEDULER__PUBLISH_LEAD_MIN", "30")
    with pytest.raises(ValidationError, match="LOAXA_SCHEDULER__PUBLISH_LEAD_MIN"):
        Settings()


def test_quiet_hours_are_read_as_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOAXA_SCHEDULER__QUIET_START", "22:00")
    monkeypatch.setenv("LOAXA_SCHEDULER__QUIET_END", "05:00")
    quiet = Settings().scheduler.planning().quiet
    assert quiet.label == "22:00–05:00" and str(quiet.zone) == "Asia/Ho_Chi_Minh"


def test_trusted_proxies_are_addresses_and_none_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    default = Settings()
    config = server_config(create_app(default), default, host="127.0.0.1", port=0)
    assert default.web.trusted_proxies == "" and config.proxy_headers is False
    monkeypatch.setenv("LOAXA_WEB__TRUSTED_PROXIES", " 10.0.0.5, 10.1.0.0/24 ")
    behind = Settings()
    config = server_config(create_app(behind), behind, host="127.0.0.1", port=0)
    assert config.proxy_headers is True and config.forwarded_allow_ips == ["10.0.0.5", "10.1.0.0/24"]
    for wrong in ("*", "proxy.example"):
        monkeypatch.setenv("LOAXA_WEB__TRUSTED_PROXIES", wrong)
        with pytest.raises(ValidationError, match="LOAXA_WEB__TRUSTED_PROXIES"):
            Settings()


def test_live_sections_from_environment_keep_their_own_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOAXA_LIVE__START_ICECAST", "true")
    monkeypatch.setenv("LOAXA_LIVE__ICECAST__PORT", "8010")
    monkeypatch.setenv("LOAXA_NODE__LIVE_BUFFER_MS", "600")
    settings = Settings()
    assert settings.live.start_icecast and settings.live.icecast.port == 8010
    # Setting one field of the nested Icecast section keeps the live one's own directory.
    assert settings.live.icecast.directory == Path("var/icecast-live")
    assert settings.node.live_buffer_ms == 600 and settings.live.idle_timeout_s == 20.0
