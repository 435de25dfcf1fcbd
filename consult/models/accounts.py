"""Organisations, users, API tokens and single-use e-mail tokens."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import expression

from consult.db import Base, UTCDateTime, utcnow


class OrganisationKind(enum.StrEnum):
    MUNICIPALITY = "municipality"
    WELFARE = "welfare"
    SCHOOL = "school"
    POLICE = "police"
    MIGRANT_ORG = "migrant_org"
    ADMINISTRATION = "administration"
    POLITICAL_GROUP = "political_group"
    OTHER = "other"


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Display name, unique (case-sensitive) within the installation.
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: One of OrganisationKind.
    kind: Mapped[str] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organisation")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: As entered; lookups use email_key.
    email: Mapped[str] = mapped_column(String(254))
    #: Lower-cased e-mail: unique, so addresses are case-insensitive.
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    #: Werkzeug scrypt hash; None until an invited user sets a password.
    password_hash: Mapped[str | None] = mapped_column(String(256))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Changes with the password, so other sessions of the user end.
    session_nonce: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(8))
    #: Preferred interface language ("de" or "en"); None follows the browser.
    locale: Mapped[str | None] = mapped_column(String(8))
    #: E-mail when someone answers in a thread the user started or answered in.
    notify_replies: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=expression.true()
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the account was erased at the person's request or by retention: name and
    #: e-mail are replaced, the account can no longer sign in (services.privacy).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation | None] = relationship(back_populates="users")

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    @property
    def label(self) -> str:
        """ "Name (Organisation)", as feedback shows its authors."""
        if self.organisation is not None:
            return f"{self.name} ({self.organisation.name})"
        return self.name


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    #: SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: First characters of the token, to recognise it in the list.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class OneTimeToken(Base):
    """An e-mailed, single-use, expiring link token (invitation, password reset)."""

    __tablename__ = "one_time_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: "invite" or "reset".
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
