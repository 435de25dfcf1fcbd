"""Notification settings per person and kind (issue 14): off queues nothing, a daily
digest groups by consultation, the one-click unsubscribe link works without login, and
deadline reminders go out 3 days and 1 day before."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.models import (
    DigestItem,
    NotificationKind,
    NotificationMode,
    Organisation,
    OutboxMessage,
    Round,
    User,
)
from consult.services import (
    consultations,
    drafts,
    mail,
    notification_digest,
    reminders,
    rounds,
    working_groups,
)
from consult.services import notification_settings as settings
from tests.conftest import CSRFClient

KIND = NotificationKind.DEADLINE_REMINDER


def make_round(db: Session, admin: User, member: User, title: str) -> Round:
    consultation = consultations.create_consultation(db, actor=admin, title=title)
    revision = drafts.create_from_markdown(
        db, consultation.id, actor=admin, markdown="# 1 Eins\nText."
    )
    drafts.publish(db, revision.id, actor=admin)
    group = working_groups.create_working_group(db, consultation.id, actor=admin, name="AK")
    consultations.set_member(
        db,
        consultation.id,
        member.id,
        actor=admin,
        role="participant",
        working_group_ids=[group.id],
    )
    now = utcnow()
    return rounds.create_round(
        db,
        consultation.id,
        actor=admin,
        revision_id=revision.id,
        title=f"Runde {title}",
        opens_at=now - timedelta(days=5),
        closes_at=now + timedelta(days=10),
        working_group_ids=[group.id],
        notify=False,
    )


@pytest.fixture
def member(make_user: Callable[..., User]) -> User:
    return make_user("Mia Mitglied")


@pytest.fixture
def open_round(db: Session, admin: User, member: User) -> Round:
    return make_round(db, admin, member, "Schulentwicklungsplan")


def mails_to(db: Session, user: User) -> list[OutboxMessage]:
    return list(
        db.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.to_address == user.email)
            .order_by(OutboxMessage.id)
        )
    )


def test_default_is_immediately_with_an_unsubscribe_link(
    app: Flask, db: Session, member: User, open_round: Round
) -> None:
    assert settings.get_all(db, member) == dict.fromkeys(
        NotificationKind, NotificationMode.IMMEDIATELY
    )
    mail.queue_template(db, member, "round_reminder", round=open_round, now=utcnow())
    (message,) = mails_to(db, member)
    assert message.unsubscribe_url is not None
    assert message.unsubscribe_url.startswith("http://")
    assert "/notifications/unsubscribe/" in message.unsubscribe_url
    assert message.unsubscribe_url in message.body_text
    built = mail.build_message(message, "consult@example.org")
    assert built["List-Unsubscribe"] == f"<{message.unsubscribe_url}>"
    assert built["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_off_queues_nothing(db: Session, member: User, open_round: Round) -> None:
    settings.update_settings(db, {KIND: NotificationMode.OFF}, actor=member)
    open_round.closes_at = utcnow() + timedelta(hours=20)
    assert mail.queue_template(db, member, "round_reminder", round=open_round) is None
    reminders.queue_reminders(db)
    assert mails_to(db, member) == []
    assert db.scalar(select(func.count(DigestItem.id))) == 0
    # Mails that are no notification (a password reset) still go out.
    mail.queue_template(db, member, "reset", token="x", hours=2)
    assert len(mails_to(db, member)) == 1


def test_digest_is_one_mail_grouped_by_consultation(
    app: Flask, db: Session, admin: User, member: User, open_round: Round
) -> None:
    other = make_round(db, admin, member, "Radverkehrskonzept")
    settings.update_settings(db, {KIND: NotificationMode.DIGEST}, actor=member)
    now = utcnow()
    for round_ in (open_round, other, open_round):
        assert mail.queue_template(db, member, "round_reminder", round=round_, now=now) is None
    assert mails_to(db, member) == []
    assert notification_digest.send_digests(db) == 1
    (digest,) = mails_to(db, member)
    body = digest.body_text
    assert "3 Benachrichtigungen" in digest.subject
    first = body.index("=== Schulentwicklungsplan ===")
    second = body.index("=== Radverkehrskonzept ===")
    assert first < second  # grouped: both reminders of the first consultation before it
    assert body.count("Runde Schulentwicklungsplan") >= 2
    assert body.count("=== Schulentwicklungsplan ===") == 1
    assert body.count("Guten Tag") == 1  # greeted once, not in every item
    assert "\n\n\n" not in body
    assert notification_digest.send_digests(db) == 0  # each item in one digest only
    assert len(mails_to(db, member)) == 1


def test_digest_items_lose_their_own_link_and_the_digest_turns_off_all_its_kinds(
    app: Flask, db: Session, admin: User, member: User, open_round: Round
) -> None:
    both = {KIND: NotificationMode.DIGEST, NotificationKind.INVITATION: NotificationMode.DIGEST}
    settings.update_settings(db, both, actor=member)
    mail.queue_template(db, member, "round_reminder", round=open_round, now=utcnow())
    mail.queue_template(db, member, "round_invite", round=open_round)
    assert notification_digest.send_digests(db) == 1
    (digest,) = mails_to(db, member)
    assert digest.body_text.count("/notifications/unsubscribe/") == 1  # one line, the digest's
    assert digest.unsubscribe_url is not None
    assert digest.body_text.rstrip().endswith(digest.unsubscribe_url)
    assert digest.body_html is not None and digest.unsubscribe_url in digest.body_html
    user, kinds = settings.unsubscribe(db, digest.unsubscribe_url.rpartition("/")[2])
    assert user.id == member.id
    assert set(kinds) == {KIND, NotificationKind.INVITATION}
    assert settings.get_mode(db, member, KIND) is NotificationMode.OFF
    assert settings.get_mode(db, member, NotificationKind.INVITATION) is NotificationMode.OFF
    assert settings.get_mode(db, member, NotificationKind.REPLY) is NotificationMode.IMMEDIATELY


def test_every_mail_has_an_html_part_saying_the_same(
    app: Flask, db: Session, member: User, open_round: Round
) -> None:
    open_round.title = "Runde <script>alert(1)</script> & Co."
    mail.queue_template(db, member, "round_invite", round=open_round)
    mail.queue_template(db, member, "reset", token="abc", hours=2)
    invite, reset = mails_to(db, member)
    for message in (invite, reset):
        built = mail.build_message(message, "consult@example.org")
        assert built.get_content_type() == "multipart/alternative"
        html = built.get_body(("html",))
        assert html is not None
        assert "<script" not in html.get_content()
    assert invite.body_html is not None
    assert "Runde &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co." in invite.body_html
    round_link = f"/rounds/{open_round.id}"
    assert round_link + '"' in invite.body_html  # the link is an anchor, not only text
    assert f'<a href="{invite.unsubscribe_url}"' in invite.body_html
    assert reset.unsubscribe_url is None and "abbestellen" not in (reset.body_html or "")
    assert '<html lang="de">' in invite.body_html


def test_the_last_reminder_is_not_held_for_the_digest(
    app: Flask, db: Session, member: User, open_round: Round
) -> None:
    settings.update_settings(db, {KIND: NotificationMode.DIGEST}, actor=member)
    now = utcnow()
    open_round.closes_at = now + timedelta(days=2, hours=12)
    assert reminders.queue_reminders(db, now=now) == 0  # held for the digest: no mail yet
    assert mails_to(db, member) == []  # the 3-day reminder waits for the digest
    assert db.scalar(select(func.count(DigestItem.id))) == 1
    assert reminders.queue_reminders(db, now=now + timedelta(days=1, hours=13)) == 1  # 23 h left
    (urgent,) = mails_to(db, member)
    assert "Erinnerung" in urgent.subject
    assert db.scalar(select(func.count(DigestItem.id))) == 1


def test_digest_cli(app: Flask, db: Session, member: User, open_round: Round) -> None:
    settings.update_settings(db, {KIND: NotificationMode.DIGEST}, actor=member)
    mail.queue_template(db, member, "round_reminder", round=open_round, now=utcnow())
    db.commit()
    result = app.test_cli_runner().invoke(args=["notifications", "digest"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("queued 1 digests")
    (digest,) = mails_to(db, member)
    assert digest.sent_at is not None


def test_reply_kind_follows_notify_replies(db: Session, member: User) -> None:
    settings.update_settings(db, {NotificationKind.REPLY: NotificationMode.OFF}, actor=member)
    assert member.notify_replies is False
    member.notify_replies = True  # turned on again in the profile form
    assert settings.get_mode(db, member, NotificationKind.REPLY) is NotificationMode.IMMEDIATELY
    settings.update_settings(db, {NotificationKind.REPLY: NotificationMode.DIGEST}, actor=member)
    assert member.notify_replies is True
    assert settings.get_mode(db, member, NotificationKind.REPLY) is NotificationMode.DIGEST


def test_unsubscribe_link_works_without_login(
    app: Flask, db: Session, member: User, open_round: Round
) -> None:
    mail.queue_template(db, member, "round_reminder", round=open_round, now=utcnow())
    (message,) = mails_to(db, member)
    assert message.unsubscribe_url is not None
    path = message.unsubscribe_url.split("://", 1)[1].partition("/")[2]
    db.commit()
    anonymous = app.test_client()
    page = anonymous.get(f"/{path}")
    assert page.status_code == 200
    assert "Abbestellen" in page.get_data(as_text=True)
    db.expire_all()
    assert settings.get_mode(db, member, KIND) is NotificationMode.IMMEDIATELY  # GET: asks only
    # RFC 8058: the mail program's POST, without any form token.
    done = anonymous.post(f"/{path}", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200, done.get_data(as_text=True)[:300]
    db.expire_all()
    assert settings.get_mode(db, member, KIND) is NotificationMode.OFF
    assert settings.get_mode(db, member, NotificationKind.REVISION) is NotificationMode.IMMEDIATELY


@pytest.mark.parametrize("how", ["garbage", "forged", "unknown_kind", "unknown_user"])
def test_a_bad_or_forged_token_changes_nothing(
    app: Flask, db: Session, member: User, how: str
) -> None:
    good = settings.unsubscribe_token(member, [KIND])
    key = str(app.config["SECRET_KEY"])
    tokens = {
        "garbage": good[:-3] + "abc",
        "forged": URLSafeSerializer("not-the-key", salt=settings.TOKEN_SALT).dumps(
            {"u": member.id, "k": KIND.value}
        ),
        "unknown_kind": URLSafeSerializer(key, salt=settings.TOKEN_SALT).dumps(
            {"u": member.id, "k": "everything"}
        ),
        "unknown_user": URLSafeSerializer(key, salt=settings.TOKEN_SALT).dumps(
            {"u": 2_000_000_000, "k": KIND.value}
        ),
    }
    db.commit()
    anonymous = app.test_client()
    for method in (anonymous.get, anonymous.post):
        response = method(f"/notifications/unsubscribe/{tokens[how]}")
        assert response.status_code == 404
    db.expire_all()
    assert settings.get_mode(db, member, KIND) is NotificationMode.IMMEDIATELY


def test_profile_section_saves_the_settings(
    db: Session, member: User, login: Callable[[User], CSRFClient]
) -> None:
    me = login(member)
    page = me.get("/profile/").get_data(as_text=True)
    assert "Benachrichtigungen" in page
    assert 'id="notify-revision-immediately" name="revision" value="immediately" checked' in page
    response = me.post("/notifications/settings", data={"revision": "digest", "reply": "off"})
    assert response.status_code == 302
    db.expire_all()
    assert settings.get_mode(db, member, NotificationKind.REVISION) is NotificationMode.DIGEST
    assert settings.get_mode(db, member, NotificationKind.REPLY) is NotificationMode.OFF
    assert settings.get_mode(db, member, KIND) is NotificationMode.IMMEDIATELY  # not sent: kept
    bad = me.post("/notifications/settings", data={"revision": "off", "reply": "sometimes"})
    assert bad.status_code == 303
    db.expire_all()
    assert settings.get_mode(db, member, NotificationKind.REVISION) is NotificationMode.DIGEST


def test_the_profile_offers_the_statement_mails_only_to_municipalities(
    db: Session,
    admin: User,
    member: User,
    open_round: Round,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    login: Callable[[User], CSRFClient],
) -> None:
    statement_row = 'name="statement"'
    assert statement_row not in login(member).get("/profile/").get_data(as_text=True)
    clerk = make_user("Rita Rathaus", organisation=make_org("Gemeinde Much", "municipality"))
    consultations.set_member(
        db, open_round.revision.consultation_id, clerk.id, actor=admin, role="municipality"
    )
    db.commit()
    assert statement_row in login(clerk).get("/profile/").get_data(as_text=True)
    # Someone who chose for them once (through the API) still sees the choice.
    settings.update_settings(db, {NotificationKind.STATEMENT: NotificationMode.OFF}, actor=member)
    db.commit()
    assert statement_row in login(member).get("/profile/").get_data(as_text=True)


def test_reminders_three_days_and_one_day_before(
    db: Session, member: User, open_round: Round
) -> None:
    closes = open_round.closes_at

    def remind(before: timedelta) -> int:
        return reminders.queue_reminders(db, now=closes - before)

    assert remind(timedelta(days=4)) == 0
    assert remind(timedelta(days=2, hours=20)) == 1  # 3 days before
    assert remind(timedelta(days=2)) == 0  # once per reminder
    assert remind(timedelta(hours=23)) == 1  # 1 day before
    assert remind(timedelta(hours=2)) == 0
    assert len(mails_to(db, member)) == 2


def test_a_new_revision_is_mailed_to_the_members_who_may_read_it(
    db: Session,
    admin: User,
    member: User,
    open_round: Round,
    make_user: Callable[..., User],
) -> None:
    observer = make_user("Olga Beobachterin")
    consultation_id = open_round.revision.consultation_id
    consultations.set_member(db, consultation_id, observer.id, actor=admin, role="observer")
    revision = drafts.copy_revision(db, open_round.revision_id, actor=admin)
    before = len(mails_to(db, admin))
    drafts.publish(db, revision.id, actor=admin, notify=True)
    (notice,) = [m for m in mails_to(db, observer) if "Neue Fassung 2" in m.subject]
    assert "Schulentwicklungsplan" in notice.subject
    assert f"/revisions/{revision.id}" in notice.body_text
    assert notice.unsubscribe_url is not None
    assert len(mails_to(db, admin)) == before  # not to the publisher
    # A participant reads a revision once a round invites them to it (then: invitation).
    assert [m for m in mails_to(db, member) if "Neue Fassung" in m.subject] == []


def test_a_new_revision_follows_the_setting(
    db: Session, admin: User, open_round: Round, make_user: Callable[..., User]
) -> None:
    observer = make_user("Olga Beobachterin")
    consultation_id = open_round.revision.consultation_id
    consultations.set_member(db, consultation_id, observer.id, actor=admin, role="observer")
    settings.update_settings(db, {NotificationKind.REVISION: NotificationMode.OFF}, actor=observer)
    revision = drafts.copy_revision(db, open_round.revision_id, actor=admin)
    drafts.publish(db, revision.id, actor=admin, notify=True)
    assert [m for m in mails_to(db, observer) if "Neue Fassung" in m.subject] == []


def test_no_notification_repeats_what_the_digest_and_footer_say(app: Flask) -> None:
    """A notification's text is also a digest item: the digest's own closing line (where
    to change the settings) and the footer's unsubscribe line must not be in it too."""
    assert app.jinja_loader is not None
    for template in settings.KIND_OF_TEMPLATE:
        source, _name, _uptodate = app.jinja_loader.get_source(
            app.jinja_env, f"mail/{template}.txt"
        )
        assert "in Ihrem Profil" not in source, template
        assert "abbestellen" not in source, template
