"""API tokens: created and revoked by their owner on the profile, shown once, stored
only as a digest; each request with one notes its last use (at most every 5 minutes)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consult.db import utcnow, write_aside
from consult.domain import textrules
from consult.errors import NotFound
from consult.models import ApiToken, User
from consult.services import permissions
from consult.services.accounts import clean_name, token_digest

TOKEN_PREFIX = "cst_"  # noqa: S105 - a public prefix, not a secret


def create_api_token(session: Session, *, actor: object, name: str | None) -> tuple[ApiToken, str]:
    """A new token for the actor; the raw token is returned once and never stored.
    Raises NotPermitted, Invalid (the name)."""
    permissions.require(permissions.can_manage_own_tokens(actor))
    assert isinstance(actor, User)
    label = clean_name(name or "API-Token", "name", _("Bezeichnung"), textrules.TOKEN_NAME)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=actor.id, name=label, token_hash=token_digest(raw), prefix=raw[:10])
    session.add(token)
    session.flush()
    return token, raw


def list_api_tokens(session: Session, *, actor: User) -> list[ApiToken]:
    """The actor's API tokens, newest first. Raises nothing."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == actor.id)
            .order_by(ApiToken.created_at.desc())
        )
    )


def revoke_api_token(session: Session, token_id: int, *, actor: object) -> ApiToken:
    """Revoke one of the actor's API tokens. Raises NotPermitted, NotFound (not theirs)."""
    permissions.require(permissions.can_manage_own_tokens(actor))
    token = session.get(ApiToken, token_id)
    if token is None or not isinstance(actor, User) or token.user_id != actor.id:
        raise NotFound(_("Dieses Token gibt es nicht."))
    token.revoked_at = token.revoked_at or utcnow()
    session.flush()
    return token


def user_for_api_token(session: Session, raw: str) -> User | None:
    """The active owner of a valid, unrevoked token, or None. Raises nothing."""
    if not raw or len(raw) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(raw)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        # Also from reading requests: a small write beside the request's transaction.
        token_id = token.id
        write_aside(
            session,
            lambda target: target.execute(
                update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)
            ),
            what="the API token's last use",
        )
    return token.user
