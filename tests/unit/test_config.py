"""Settings come from the environment (API.md, "Configuration")."""

from __future__ import annotations

from pathlib import Path

import pytest

from consult.config import Settings


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CONSULT_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("CONSULT_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("CONSULT_MAIL_BACKEND", "smtp")
    monkeypatch.setenv("CONSULT_SMTP_PORT", "2525")
    monkeypatch.setenv("CONSULT_SMTP_STARTTLS", "yes")
    monkeypatch.setenv("CONSULT_BASE_URL", "https://beteiligung.example/")
    monkeypatch.setenv("CONSULT_RATELIMIT_STORAGE_URI", "redis://localhost:6379")
    monkeypatch.delenv("CONSULT_SECRET_KEY", raising=False)
    settings = Settings.from_env()
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.mail_backend == "smtp"
    assert settings.smtp_port == 2525 and settings.smtp_starttls is True
    assert settings.base_url == "https://beteiligung.example"
    assert settings.ratelimit_storage_uri == "redis://localhost:6379"
    # The secret key is generated once into the instance folder and then reused.
    assert (tmp_path / "secret_key").read_text().strip() == settings.secret_key
    assert Settings.from_env().secret_key == settings.secret_key


def test_defaults_are_the_embedded_set_up(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "CONSULT_DATABASE_URL",
        "CONSULT_MAIL_BACKEND",
        "CONSULT_BASE_URL",
        "CONSULT_RATELIMIT_STORAGE_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CONSULT_INSTANCE_PATH", str(tmp_path))
    settings = Settings.from_env()
    assert settings.database_url == f"sqlite:///{tmp_path / 'consult.sqlite'}"
    assert settings.mail_backend == "console"
    assert settings.ratelimit_storage_uri == "memory://"
    assert settings.base_url == "http://127.0.0.1:5000"
