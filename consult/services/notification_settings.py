"""Notification settings per person and kind (immediately / daily digest / off), and the
one-click unsubscribe tokens carried by every notification.

The check of a person's setting happens in one place, :func:`consult.services.mail.
queue_template`, through :func:`mode_for_template`: no sender has to remember it.
The kind ``reply`` is also ``users.notify_replies`` (kept in step both ways).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.errors import Invalid, NotFound
from consult.models import (
    Membership,
    NotificationKind,
    NotificationMode,
    NotificationSetting,
    Role,
    User,
)
from consult.services import permissions
from consult.services.locks import lock

#: Which kind each mail template is (templates not named here always go out: invitations
#: to an account, password resets, confirmations of one's own statement).
KIND_OF_TEMPLATE: dict[str, NotificationKind] = {
    "round_invite": NotificationKind.INVITATION,
    "round_reopened": NotificationKind.INVITATION,
    "round_reminder": NotificationKind.DEADLINE_REMINDER,
    "reply_notice": NotificationKind.REPLY,
    "decisions_published": NotificationKind.DECISIONS,
    "revision_published": NotificationKind.REVISION,
    "statement_reminder": NotificationKind.STATEMENT,
    "statement_returned": NotificationKind.STATEMENT,
    "statement_extended": NotificationKind.STATEMENT,
}

#: The salt of the unsubscribe tokens (signed with the app's SECRET_KEY).
TOKEN_SALT = "consult.unsubscribe"  # noqa: S105 - a salt, not a secret


def kind_label(kind: NotificationKind) -> str:
    """The German name of a kind, for the profile and the unsubscribe page."""
    labels = {
        NotificationKind.INVITATION: _("Einladungen zu Beteiligungsrunden"),
        NotificationKind.DEADLINE_REMINDER: _("Erinnerungen an Fristen"),
        NotificationKind.REPLY: _("Antworten auf Ihre Beiträge"),
        NotificationKind.DECISIONS: _("Veröffentlichte Entscheidungen zu Ihren Beiträgen"),
        NotificationKind.REVISION: _("Neue Fassungen eines Entwurfs"),
        NotificationKind.STATEMENT: _("Fällige und zurückgegebene Stellungnahmen"),
    }
    return str(labels[kind])


def mode_label(mode: NotificationMode) -> str:
    labels = {
        NotificationMode.IMMEDIATELY: _("Sofort"),
        NotificationMode.DIGEST: _("Einmal täglich gesammelt"),
        NotificationMode.OFF: _("Aus"),
    }
    return str(labels[mode])


def _row(session: Session, user: User, kind: NotificationKind) -> NotificationSetting | None:
    return session.scalars(
        select(NotificationSetting).where(
            NotificationSetting.user_id == user.id, NotificationSetting.kind == kind.value
        )
    ).first()


def get_mode(session: Session, user: User, kind: NotificationKind) -> NotificationMode:
    """How ``user`` wants ``kind`` (no row: immediately; ``reply`` is off while
    ``notify_replies`` is). Raises nothing."""
    if kind is NotificationKind.REPLY and not user.notify_replies:
        return NotificationMode.OFF
    row = _row(session, user, kind)
    if row is None:
        return NotificationMode.IMMEDIATELY
    mode = NotificationMode(row.mode)
    if kind is NotificationKind.REPLY and mode is NotificationMode.OFF:
        return NotificationMode.IMMEDIATELY  # notify_replies was turned on again
    return mode


def get_all(session: Session, user: User) -> dict[NotificationKind, NotificationMode]:
    """Every kind's mode for ``user``, in the order of NotificationKind. Raises nothing."""
    return {kind: get_mode(session, user, kind) for kind in NotificationKind}


def my_settings(session: Session, *, actor: object) -> dict[NotificationKind, NotificationMode]:
    """The acting user's settings. Raises NotAuthenticated."""
    return get_all(session, permissions.require_user(actor))


def my_kinds(session: Session, *, actor: object) -> dict[NotificationKind, NotificationMode]:
    """The acting user's settings of the kinds that can reach them, for the profile: the
    statements' mails only for people of a municipality (or who chose for them before).
    Raises NotAuthenticated."""
    user = permissions.require_user(actor)
    found = get_all(session, user)
    municipal = session.scalar(
        select(Membership.id)
        .where(Membership.user_id == user.id, Membership.role == Role.MUNICIPALITY.value)
        .limit(1)
    )
    if municipal is None and _row(session, user, NotificationKind.STATEMENT) is None:
        del found[NotificationKind.STATEMENT]
    return found


def _store(session: Session, user: User, kind: NotificationKind, mode: NotificationMode) -> None:
    # The person's row is locked first (services.locks): two changes at once (the form,
    # the API, an unsubscribe link) would both find no setting and both insert one; the
    # second waits here instead and then changes the first one's row.
    lock(session, user)
    row = _row(session, user, kind)
    if row is None:
        session.add(NotificationSetting(user_id=user.id, kind=kind.value, mode=mode.value))
    else:
        row.mode, row.updated_at = mode.value, utcnow()
    if kind is NotificationKind.REPLY:
        user.notify_replies = mode is not NotificationMode.OFF


def parse(values: dict[str, Any]) -> dict[NotificationKind, NotificationMode]:
    """Kinds and modes from names (``{"reply": "digest"}``). Raises Invalid
    naming the unknown kind or mode (field = the kind)."""
    parsed: dict[NotificationKind, NotificationMode] = {}
    for name, value in values.items():
        try:
            kind = NotificationKind(name)
        except ValueError:
            message = _("Diese Art von Benachrichtigung gibt es nicht.")
            raise Invalid(message, fields={str(name): message}) from None
        try:
            parsed[kind] = NotificationMode(value)
        except ValueError:
            message = _("Bitte wählen Sie „sofort“, „täglich gesammelt“ oder „aus“.")
            raise Invalid(message, fields={kind.value: message}) from None
    return parsed


def update_settings(
    session: Session,
    changes: dict[NotificationKind, NotificationMode],
    *,
    actor: object,
) -> dict[NotificationKind, NotificationMode]:
    """Set the acting user's mode for the kinds named (others stay); returns all of them.
    Raises NotAuthenticated."""
    user = permissions.require_user(actor)
    for kind, mode in changes.items():
        _store(session, user, kind, mode)
    session.flush()
    return get_all(session, user)


def mode_for_template(
    session: Session, user: User, template: str
) -> tuple[NotificationKind | None, NotificationMode]:
    """The kind of mail ``template`` is and how ``user`` wants it (no kind: always
    immediately). Raises nothing."""
    kind = KIND_OF_TEMPLATE.get(template)
    if kind is None:
        return None, NotificationMode.IMMEDIATELY
    return kind, get_mode(session, user, kind)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.config["SECRET_KEY"]), salt=TOKEN_SALT)


def unsubscribe_token(user: User, kinds: Sequence[NotificationKind]) -> str:
    """A signed token that turns ``kinds`` off for ``user`` (one kind for a notification,
    the kinds it gathers for a digest). Raises nothing."""
    names = [kind.value for kind in kinds]
    token: str = _serializer().dumps({"u": user.id, "k": names[0] if len(names) == 1 else names})
    return token


def _kinds(value: object) -> tuple[NotificationKind, ...]:
    """The kinds a token names: one name (every notification's link) or a list (a
    digest's). Raises ValueError for anything else."""
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names:
        raise ValueError("no kinds")
    return tuple(dict.fromkeys(NotificationKind(str(name)) for name in names))


def _read(session: Session, token: str) -> tuple[User, tuple[NotificationKind, ...]]:
    try:
        data = _serializer().loads(token)
        user_id, kinds = int(data["u"]), _kinds(data["k"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise NotFound(_("Dieser Abmeldelink ist ungültig.")) from None
    user = session.get(User, user_id)
    if user is None or user.erased_at is not None:
        raise NotFound(_("Dieser Abmeldelink ist ungültig."))
    return user, kinds


def read_unsubscribe(session: Session, token: str) -> tuple[User, tuple[NotificationKind, ...]]:
    """Whose settings and which kinds a token names. Raises NotFound for a bad or forged
    token, or one of an account that no longer exists."""
    return _read(session, token)


def unsubscribe(session: Session, token: str) -> tuple[User, tuple[NotificationKind, ...]]:
    """Turn off the kinds a token names (no login needed: the token is the proof).
    Raises NotFound for a bad or forged token."""
    user, kinds = _read(session, token)
    for kind in kinds:
        _store(session, user, kind, NotificationMode.OFF)
    session.flush()
    return user, kinds


def unsubscribe_url(user: User, kinds: Sequence[NotificationKind]) -> str:
    """The one-click link that turns ``kinds`` off for ``user`` (no login needed).
    Raises nothing."""
    token = unsubscribe_token(user, kinds)
    return (
        f"{current_app.extensions['consult_settings'].base_url}/notifications/unsubscribe/{token}"
    )


def consultation_of(context: dict[str, Any]) -> int | None:
    """The consultation a notification is about, for grouping digests."""
    consultation = context.get("consultation")
    if consultation is not None:
        return int(consultation.id)
    for name in ("round", "revision", "statement"):
        found = getattr(context.get(name), "consultation_id", None)
        if found is not None:
            return int(found)
    return None
