"""Settings. The only module that reads the environment (see API.md, "Configuration")."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

DEFAULT_INSTANCE = Path(__file__).resolve().parent.parent / "instance"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance: Path) -> str:
    """The configured key, or one generated once into the instance folder."""
    configured = _env("CONSULT_SECRET_KEY")
    if configured:
        return configured
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


@dataclass
class Settings:
    """Every setting of the app, with defaults for the embedded SQLite set-up."""

    instance_path: Path = DEFAULT_INSTANCE
    database_url: str = ""
    secret_key: str = ""
    mail_backend: str = "console"
    mail_dir: Path = DEFAULT_INSTANCE / "mail"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "consult@localhost"
    base_url: str = "http://127.0.0.1:5000"
    #: Where uploaded files (statements' PDF attachments) are kept, outside ``static/``
    #: (None: ``uploads/`` in the instance folder).
    upload_path: Path | None = None
    #: Largest request body accepted (bytes); larger ones get 413.
    max_content_length: int = 16 * 1024 * 1024
    #: Largest JSON body accepted by the API (bytes).
    max_json_length: int = 2 * 1024 * 1024
    #: Lifetime of invitation and password-reset links.
    invitation_hours: int = 72
    reset_hours: int = 2
    #: Failed logins into one account from one address (the same account from another
    #: address is not limited by them: nobody can lock another person out).
    login_rate_limit: str = "10 per minute"
    #: Failed logins from one address, whichever accounts (an office behind one NAT
    #: address shares it).
    login_address_rate_limit: str = "50 per minute"
    #: Password-reset requests per address, and per e-mail address asked for.
    reset_address_rate_limit: str = "10 per hour"
    reset_account_rate_limit: str = "5 per hour"
    ratelimit_storage_uri: str = "memory://"
    #: Reverse proxies in front of the app whose X-Forwarded-For/-Proto to trust
    #: (0: none, the client address is the connection's).
    trusted_proxies: int = 0
    #: How long a writing transaction waits for SQLite's write lock before the request
    #: is answered with 503 (ms).
    sqlite_busy_timeout_ms: int = 10_000
    #: Delivery of mail queued by a request: "thread" (right after it), "sync", "off".
    mail_delivery: str = "thread"
    #: Retention (services.privacy.purge): accounts with no login for this many months
    #: after every consultation they took part in ended are anonymised; None: never.
    retention_months: int | None = None
    testing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Settings:
        instance = Path(_env("CONSULT_INSTANCE_PATH", str(DEFAULT_INSTANCE)) or DEFAULT_INSTANCE)
        database_url = _env("CONSULT_DATABASE_URL") or f"sqlite:///{instance / 'consult.sqlite'}"
        return cls(
            instance_path=instance,
            database_url=database_url,
            secret_key=_secret_key(instance),
            mail_backend=_env("CONSULT_MAIL_BACKEND", "console") or "console",
            mail_dir=Path(_env("CONSULT_MAIL_DIR", str(instance / "mail")) or instance / "mail"),
            smtp_host=_env("CONSULT_SMTP_HOST", "localhost") or "localhost",
            smtp_port=int(_env("CONSULT_SMTP_PORT", "25") or 25),
            smtp_user=_env("CONSULT_SMTP_USER"),
            smtp_password=_env("CONSULT_SMTP_PASSWORD"),
            smtp_starttls=_env_bool("CONSULT_SMTP_STARTTLS", False),
            mail_from=_env("CONSULT_MAIL_FROM", "consult@localhost") or "consult@localhost",
            base_url=(_env("CONSULT_BASE_URL", "http://127.0.0.1:5000") or "").rstrip("/"),
            ratelimit_storage_uri=_env("CONSULT_RATELIMIT_STORAGE_URI", "memory://") or "memory://",
            trusted_proxies=int(_env("CONSULT_TRUSTED_PROXIES", "0") or 0),
            upload_path=Path(_env("CONSULT_UPLOAD_PATH", str(instance / "uploads")) or "."),
            retention_months=int(_env("CONSULT_RETENTION_MONTHS", "") or 0) or None,
        )

    @property
    def uploads(self) -> Path:
        """The folder of uploaded files (``upload_path``, else ``instance/uploads``)."""
        return self.upload_path or self.instance_path / "uploads"

    def replace(self, **changes: Any) -> Settings:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        unknown = set(changes) - set(values)
        if unknown:
            raise KeyError(f"unknown settings: {sorted(unknown)}")
        values.update(changes)
        return Settings(**values)


def test_database_url() -> str | None:
    """The database the test suite should use, if not a temporary SQLite file."""
    return _env("CONSULT_DATABASE_URL")
