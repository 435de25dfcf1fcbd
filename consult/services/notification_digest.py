"""The daily digest: the notifications a person chose to get once a day, in one e-mail,
grouped by consultation. Run by ``flask --app consult notifications digest`` from cron.

Each item is shown without its own unsubscribe line; the digest carries one link (and
List-Unsubscribe header) that turns off every kind it gathers.
Each held item is put into exactly one digest: the person's items are locked while their
digest is queued and marked digested in the same transaction.
"""

from __future__ import annotations

import re
from datetime import datetime
from itertools import groupby

from flask import render_template
from flask_babel import force_locale
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.extensions import LOCALES
from consult.models import Consultation, DigestItem, NotificationKind, User
from consult.services import mail, notification_settings


def send_digests(session: Session, *, now: datetime | None = None) -> int:
    """Queue one digest e-mail per person with held notifications, grouped by
    consultation, and mark those items digested. Returns the number of digests queued.
    Raises nothing."""
    now = now or utcnow()
    people = session.scalars(
        select(DigestItem.user_id).where(DigestItem.digested_at.is_(None)).distinct()
    ).all()
    queued = 0
    for user_id in sorted(people):
        items = session.scalars(
            select(DigestItem)
            .where(DigestItem.user_id == user_id, DigestItem.digested_at.is_(None))
            .order_by(DigestItem.consultation_id, DigestItem.id)
            .with_for_update(skip_locked=True)
        ).all()
        user = session.get(User, user_id)
        if not items or user is None:
            continue
        if user.is_active and user.erased_at is None:
            _queue_digest(session, user, list(items))
            queued += 1
        session.execute(
            update(DigestItem)
            .where(DigestItem.id.in_([item.id for item in items]))
            .values(digested_at=now)
        )
    session.flush()
    return queued


def _queue_digest(session: Session, user: User, items: list[DigestItem]) -> None:
    groups = []
    for consultation_id, group in groupby(items, key=lambda item: item.consultation_id):
        consultation = (
            session.get(Consultation, consultation_id) if consultation_id is not None else None
        )
        groups.append((consultation, list(group)))
    with force_locale(LOCALES[mail.language_of(user)]):
        text = render_template(
            "mail/digest.txt",
            user=user,
            groups=groups,
            count=len(items),
            base_url=mail.settings().base_url,
        )
    subject, _nl, body = text.strip("\n").partition("\n")
    body = re.sub(r"\n{3,}", "\n\n", body)  # the template's loops leave blank lines
    kinds = [NotificationKind(name) for name in dict.fromkeys(item.kind for item in items)]
    link = notification_settings.unsubscribe_url(user, kinds)
    mail.queue_rendered(session, user, subject.strip(), body.strip("\n") + "\n", unsubscribe=link)
