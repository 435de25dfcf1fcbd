"""Users, logging in and single-use links (organisations: services.organisations; API
tokens: services.api_tokens; the password rules: services.passwords)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from consult.db import is_id, utcnow
from consult.domain import textrules
from consult.errors import Conflict, Invalid, NotFound
from consult.models import ApiToken, OneTimeToken, Organisation, User
from consult.services import access, audit, feedback_versions, mail, permissions
from consult.services.locks import lock_name
from consult.services.passwords import check_password_rules
from consult.services.text_fields import checked

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")

#: A hash computed once, to spend the same time on unknown e-mail addresses.
_DUMMY_HASH = generate_password_hash("not-a-password-" + secrets.token_hex(4))


def token_digest(token: str) -> str:
    """How a token is stored: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def clean_name(
    value: object, field: str, label: str, rule: textrules.TextRule = textrules.NAME
) -> str:
    """A checked name (of a person, an organisation, a token). Raises Invalid."""
    return checked(value, rule, field, label, code="invalid")


def normalize_email(value: object) -> str:
    """A trimmed e-mail address; raises Invalid when it does not look like one."""
    if not isinstance(value, str) or not EMAIL_RE.match(value.strip()) or len(value) > 254:
        raise Invalid(
            _("Die E-Mail-Adresse ist ungültig."),
            fields={"email": _("Bitte eine gültige E-Mail-Adresse angeben.")},
        )
    return value.strip()


# --- users ---------------------------------------------------------------------------


@dataclass
class NewUser:
    user: User
    #: The invitation link token when no password was given (already e-mailed).
    invitation_token: str | None


def find_user_by_email(session: Session, email: str) -> User | None:
    """The user with this e-mail address (any case), or None. Raises nothing."""
    return session.scalar(select(User).where(User.email_key == email.strip().lower()))


def list_users(session: Session, *, actor: object) -> list[User]:
    """Every user by name, for the administration. Raises NotPermitted (not an admin)."""
    permissions.require(permissions.can_manage_accounts(actor))
    return list(session.scalars(select(User).order_by(func.lower(User.name))))


def _organisation_or_invalid(session: Session, organisation_id: int | None) -> Organisation | None:
    if organisation_id is None:
        return None
    org = session.get(Organisation, organisation_id) if is_id(organisation_id) else None
    if org is None:
        raise Invalid(
            _("Diese Organisation gibt es nicht."),
            code="unknown_organisation",
            fields={"organisation_id": _("Bitte eine vorhandene Organisation wählen.")},
        )
    return org


def create_user(
    session: Session,
    *,
    actor: object | None,
    email: str,
    name: str,
    organisation_id: int | None = None,
    password: str | None = None,
    is_admin: bool = False,
    system: bool = False,
) -> NewUser:
    """Create a user; without a password an invitation e-mail is queued.

    ``system=True`` is for the command line (no acting user). Raises NotPermitted,
    Invalid, Conflict (e-mail taken).
    """
    if not system:
        permissions.require(permissions.can_manage_accounts(actor))
    address = normalize_email(email)
    full_name = clean_name(name, "name", _("Name"))
    org = _organisation_or_invalid(session, organisation_id)
    if password not in (None, ""):
        check_password_rules(password, email=address, name=full_name)
    lock_name(session, "e-mail addresses")  # two admins adding one address at once
    if find_user_by_email(session, address) is not None:
        raise Conflict(
            _("Diese E-Mail-Adresse ist schon registriert."),
            code="duplicate_email",
            fields={"email": _("Schon registriert.")},
        )
    user = User(
        email=address,
        email_key=address.lower(),
        name=full_name,
        organisation=org,
        is_admin=bool(is_admin),
        is_active=True,
        password_hash=generate_password_hash(password)
        if isinstance(password, str) and password
        else None,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.created",
        object_type="user",
        object_id=user.id,
        details={"name": user.name, "is_admin": user.is_admin},
    )
    token = None
    if user.password_hash is None:
        token = send_invitation(session, user)
    return NewUser(user=user, invitation_token=token)


def update_user(
    session: Session,
    user_id: int,
    *,
    actor: object,
    name: str,
    email: str,
    organisation_id: int | None,
    is_admin: bool,
    is_active: bool,
) -> User:
    """Admin edit of a user; admins cannot demote or deactivate themselves. Raises NotPermitted,
    NotFound, Invalid, Conflict (the address is taken; an admin locking themselves out; an
    erased account)."""
    user = access.get_user(session, user_id, actor=actor)
    if user.erased_at is not None:  # services.privacy: its contributions stay anonymous
        raise Conflict(
            _("Ein gelöschtes Konto lässt sich nicht mehr bearbeiten."), code="erased_account"
        )
    address = normalize_email(email)
    lock_name(session, "e-mail addresses")
    other = find_user_by_email(session, address)
    if other is not None and other.id != user.id:
        raise Conflict(
            _("Diese E-Mail-Adresse ist schon registriert."),
            code="duplicate_email",
            fields={"email": _("Schon registriert.")},
        )
    if isinstance(actor, User) and user.id == actor.id and (not is_admin or not is_active):
        raise Conflict(
            _(
                "Sie können sich nicht selbst die Verwaltungsrechte entziehen "
                "oder sich deaktivieren."
            ),
            code="self_lockout",
        )
    new_name = clean_name(name, "name", _("Name"))
    renamed = new_name != user.name
    user.name = new_name
    user.email, user.email_key = address, address.lower()
    user.organisation = _organisation_or_invalid(session, organisation_id)
    user.is_admin, user.is_active = bool(is_admin), bool(is_active)
    if not user.is_active:
        user.session_nonce = secrets.token_hex(8)
        for token in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)):
            token.revoked_at = token.revoked_at or utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.changed",
        object_type="user",
        object_id=user.id,
        details={"name": user.name, "is_admin": user.is_admin, "is_active": user.is_active},
    )
    if renamed:  # feedback shows the name: cached reading views must not
        feedback_versions.bump_for_person(session, user.id)
    return user


def update_profile(
    session: Session,
    *,
    actor: User,
    name: str,
    locale: str | None = None,
    notify_replies: bool | None = None,
) -> User:
    """Name, language and (when given) whether to get an e-mail about replies.
    Raises Invalid (the name)."""
    new_name = clean_name(name, "name", _("Name"))
    renamed = new_name != actor.name
    actor.name = new_name
    actor.locale = locale if locale in ("de", "en") else None
    if notify_replies is not None:
        actor.notify_replies = bool(notify_replies)
    session.flush()
    if renamed:  # feedback shows the name: cached reading views must not
        feedback_versions.bump_for_person(session, actor.id)
    return actor


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same work either way). Raises nothing."""
    user = find_user_by_email(session, email or "")
    if user is None or user.password_hash is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    if not user.is_active:
        return None
    user.last_login_at = utcnow()
    session.flush()
    if user.is_admin:
        audit.record(
            session, actor=user, action="admin.login", object_type="user", object_id=user.id
        )
    return user


def change_password(session: Session, *, actor: User, current: str, new: str) -> None:
    """Raises Invalid when the current password is wrong or the new one too weak."""
    if actor.password_hash is None or not check_password_hash(actor.password_hash, current or ""):
        raise Invalid(
            _("Das bisherige Passwort stimmt nicht."),
            fields={"current_password": _("Stimmt nicht.")},
        )
    _set_password(actor, check_password_rules(new, email=actor.email, name=actor.name))
    session.flush()


def _set_password(user: User, password: str) -> None:
    user.password_hash = generate_password_hash(password)
    user.session_nonce = secrets.token_hex(8)


def end_sessions(session: Session, *, actor: User) -> None:
    """Log the user out everywhere (on logout): a new session nonce, so that every session
    and "remember me" cookie carrying the old login id stops working, copies included.
    API tokens stay valid (they are revoked on the profile page). Raises nothing."""
    actor.session_nonce = secrets.token_hex(8)
    session.flush()


# --- single-use links ----------------------------------------------------------------


def issue_one_time_token(session: Session, user: User, purpose: str, hours: int) -> str:
    """A new link token; earlier unused tokens of the same purpose stop working. Raises nothing."""
    now = utcnow()
    for old in session.scalars(
        select(OneTimeToken).where(
            OneTimeToken.user_id == user.id,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
        )
    ):
        old.used_at = now
    raw = secrets.token_urlsafe(32)
    session.add(
        OneTimeToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=token_digest(raw),
            expires_at=now + timedelta(hours=hours),
        )
    )
    session.flush()
    return raw


def check_one_time_token(
    session: Session, raw: str, *, now: datetime | None = None
) -> OneTimeToken:
    """The valid token row; raises NotFound for unknown, used or expired links."""
    row = session.scalar(
        select(OneTimeToken).where(OneTimeToken.token_hash == token_digest(raw or ""))
    )
    now = now or utcnow()
    if row is None or row.used_at is not None or row.expires_at <= now or not row.user.is_active:
        raise NotFound(
            _("Dieser Link ist ungültig oder abgelaufen. Bitte fordern Sie einen neuen an."),
            code="invalid_link",
        )
    return row


def redeem_one_time_token(session: Session, raw: str, new_password: str) -> User:
    """Set the password through an invitation or reset link, once. Raises NotFound (unknown, used or
    expired link), Invalid (the password)."""
    row = check_one_time_token(session, raw)
    check_password_rules(new_password, email=row.user.email, name=row.user.name)
    row.used_at = utcnow()
    _set_password(row.user, new_password)
    session.flush()
    return row.user


def send_invitation(session: Session, user: User) -> str:
    """E-mail the user a link to set their password; returns the raw token. Raises nothing."""
    hours = mail.settings().invitation_hours
    raw = issue_one_time_token(session, user, "invite", hours)
    mail.queue_template(session, user, "invite", token=raw, hours=hours)
    return raw


def reinvite_user(session: Session, user_id: int, *, actor: object) -> str:
    """A new invitation for an active user. Raises NotPermitted, NotFound, Conflict (inactive)."""
    user = access.get_user(session, user_id, actor=actor)
    if not user.is_active:
        raise Conflict(_("Diese Person ist deaktiviert."), code="inactive_user")
    return send_invitation(session, user)


def request_password_reset(session: Session, email: str) -> None:
    """Queue a reset link if the address belongs to an active user; silent otherwise.
    Raises nothing."""
    user = find_user_by_email(session, email or "")
    if user is None or not user.is_active:
        return
    hours = mail.settings().reset_hours
    raw = issue_one_time_token(session, user, "reset", hours)
    mail.queue_template(session, user, "reset", token=raw, hours=hours)
