"""The mail world of issue 14, shared by tests/services/test_notification_mail.py and
tests/web/test_notification_mail_links.py: consultations with working groups and people,
rounds opened through the service, and delivery over SMTP to a real aiosmtpd server on
loopback (tests/servers.py's :class:`SmtpSink`), so the tests assert on what the server
received, not on outbox rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from consult.config import Settings
from consult.db import utcnow
from consult.models import Consultation, Revision, Round, User, WorkingGroup
from consult.services import consultations, drafts, mail, mail_backends, rounds, working_groups
from tests.servers import ReceivedMail, SmtpSink

#: CONSULT_BASE_URL of the test app (tests/conftest.py make_settings).
BASE = "http://consult.test"
INVITATION = "Einladung zur Beteiligungsrunde"
REMINDER = "Erinnerung: Die Frist endet"
DIGEST = "Ihre tägliche Übersicht"
#: An address in a mail's text (up to the next space or angle bracket).
_LINK = re.compile(r"https?://[^\s<>]+")


def smtp_settings(cfg: Settings, port: int) -> Settings:
    return cfg.replace(mail_backend="smtp", smtp_host="127.0.0.1", smtp_port=port)


def deliver(db: Session, port: int, *, now: datetime | None = None) -> tuple[int, int]:
    """Send every due outbox message over SMTP to 127.0.0.1:``port``; (sent, failed)."""
    cfg = smtp_settings(mail.settings(), port)
    return mail.deliver_due(db, cfg, backend=mail_backends.SmtpBackend(cfg), now=now)


def received_by(sink: SmtpSink, user: User, subject_start: str = "") -> list[ReceivedMail]:
    """The messages the server received for ``user`` whose subject starts so, in order."""
    return [
        m
        for m in sink.received()
        if m.recipients == (user.email,) and m.subject.startswith(subject_start)
    ]


def links(text: str) -> list[str]:
    return _LINK.findall(text)


def unsubscribe_links(text: str) -> list[str]:
    return [link for link in links(text) if "/notifications/unsubscribe/" in link]


def path_of(url: str) -> str:
    """``/rounds/3`` of ``http://consult.test/rounds/3`` (asserting the base URL)."""
    assert url.startswith(BASE + "/"), url
    return url[len(BASE) :]


@dataclass
class Consult:
    """A consultation with a published revision and one working group."""

    consultation: Consultation
    revision: Revision
    group: WorkingGroup
    members: list[User] = field(default_factory=list)


@dataclass
class MailWorld:
    db: Session
    admin: User
    make_user: Callable[..., User]

    def consultation(self, title: str, members: Sequence[User] = ()) -> Consult:
        """A consultation ``title`` whose working group "AK" has ``members``."""
        consultation = consultations.create_consultation(self.db, actor=self.admin, title=title)
        revision = drafts.create_from_markdown(
            self.db, consultation.id, actor=self.admin, markdown="# 1 Eins\nText."
        )
        drafts.publish(self.db, revision.id, actor=self.admin)
        group = working_groups.create_working_group(
            self.db, consultation.id, actor=self.admin, name="AK"
        )
        made = Consult(consultation, revision, group)
        for person in members:
            self.join(made, person)
        return made

    def join(self, consult: Consult, person: User, group: WorkingGroup | None = None) -> None:
        consultations.set_member(
            self.db,
            consult.consultation.id,
            person.id,
            actor=self.admin,
            role="participant",
            working_group_ids=[(group or consult.group).id],
        )
        consult.members.append(person)

    def open_round(
        self,
        consult: Consult,
        title: str,
        *,
        closes: timedelta = timedelta(days=10),
        notify: bool = True,
        group: WorkingGroup | None = None,
    ) -> Round:
        """A round of ``consult``'s group (or ``group``), open since 5 days, opened through
        the service (``notify``: the invitations are queued, as the editor's form does)."""
        now = utcnow()
        return rounds.create_round(
            self.db,
            consult.consultation.id,
            actor=self.admin,
            revision_id=consult.revision.id,
            title=title,
            opens_at=now - timedelta(days=5),
            closes_at=now + closes,
            working_group_ids=[(group or consult.group).id],
            notify=notify,
        )
