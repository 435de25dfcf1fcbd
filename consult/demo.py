"""The demo installation: a county, its municipalities and partners, one user per role.

``load_demo`` is idempotent: what exists is left alone, what is missing is added.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from consult import demo_texts
from consult.db import utcnow
from consult.models import (
    Consultation,
    Membership,
    Organisation,
    OrganisationKind,
    Placement,
    Role,
    User,
)
from consult.services import draft_sections, drafts, feedback, revisions, rounds, working_groups
from consult.services.consultations import set_member

COUNTY = "Kreis Siegtal – Kommunales Integrationszentrum"

#: The 19 towns and municipalities of a real county on the Sieg (names only).
MUNICIPALITIES = [
    "Alfter",
    "Bad Honnef",
    "Bornheim",
    "Eitorf",
    "Hennef (Sieg)",
    "Königswinter",
    "Lohmar",
    "Meckenheim",
    "Much",
    "Neunkirchen-Seelscheid",
    "Niederkassel",
    "Rheinbach",
    "Ruppichteroth",
    "Sankt Augustin",
    "Siegburg",
    "Swisttal",
    "Troisdorf",
    "Wachtberg",
    "Windeck",
]

PARTNERS: list[tuple[str, OrganisationKind]] = [
    (COUNTY, OrganisationKind.ADMINISTRATION),
    ("Caritasverband im Kreis Siegtal", OrganisationKind.WELFARE),
    ("Diakonisches Werk Siegtal", OrganisationKind.WELFARE),
    ("Arbeiterwohlfahrt Kreisverband Siegtal", OrganisationKind.WELFARE),
    ("DRK-Kreisverband Siegtal", OrganisationKind.WELFARE),
    ("Berufskolleg am Michaelsberg", OrganisationKind.SCHOOL),
    ("Gesamtschule Hennef-Meiersheide", OrganisationKind.SCHOOL),
    ("Volkshochschule Siegtal", OrganisationKind.SCHOOL),
    ("Kreispolizeibehörde Siegtal", OrganisationKind.POLICE),
    ("Türkisch-Deutscher Kulturverein Troisdorf", OrganisationKind.MIGRANT_ORG),
    ("Integrationsrat Sankt Augustin", OrganisationKind.MIGRANT_ORG),
    ("Arabisch-Deutscher Elternverein Siegburg", OrganisationKind.MIGRANT_ORG),
    ("Jobcenter Siegtal", OrganisationKind.ADMINISTRATION),
    ("Kreistagsfraktion Bündnis für Siegtal", OrganisationKind.POLITICAL_GROUP),
]

#: (role label, e-mail, name, organisation, consultation role, is_admin, password)
DEMO_USERS: list[tuple[str, str, str, str, Role | None, bool, str]] = [
    ("Administration", "admin@consult.example", "Ada Admin", COUNTY, None, True, "Demo-Admin-2026"),
    (
        "Redaktion (editor)",
        "redaktion@consult.example",
        "Miriam Redaktion",
        COUNTY,
        Role.EDITOR,
        False,
        "Demo-Redaktion-2026",
    ),
    (
        "Teilnehmende (participant)",
        "caritas@consult.example",
        "Jonas Becker",
        "Caritasverband im Kreis Siegtal",
        Role.PARTICIPANT,
        False,
        "Demo-Caritas-2026",
    ),
    (
        "Teilnehmende (participant)",
        "polizei@consult.example",
        "Sabine Krüger",
        "Kreispolizeibehörde Siegtal",
        Role.PARTICIPANT,
        False,
        "Demo-Polizei-2026",
    ),
    (
        "Teilnehmende (participant)",
        "kulturverein@consult.example",
        "Ayşe Yılmaz",
        "Türkisch-Deutscher Kulturverein Troisdorf",
        Role.PARTICIPANT,
        False,
        "Demo-Verein-2026",
    ),
    (
        "Kommune (municipality)",
        "buergermeister.siegburg@consult.example",
        "Stefan Roth",
        "Siegburg",
        Role.MUNICIPALITY,
        False,
        "Demo-Siegburg-2026",
    ),
    (
        "Kommune (municipality)",
        "buergermeisterin.much@consult.example",
        "Petra Lenz",
        "Much",
        Role.MUNICIPALITY,
        False,
        "Demo-Much-2026",
    ),
    (
        "Beobachtung (observer)",
        "fraktion@consult.example",
        "Klaus Weber",
        "Kreistagsfraktion Bündnis für Siegtal",
        Role.OBSERVER,
        False,
        "Demo-Fraktion-2026",
    ),
]

CONSULTATION_TITLE = "Integrationskonzept 2027 für den Kreis Siegtal"
CONSULTATION_DESCRIPTION = (
    "Fortschreibung des Integrationskonzepts: Die Arbeitskreise, die Wohlfahrtsverbände und "
    "die kreisangehörigen Städte und Gemeinden kommentieren den Entwurf, bevor der Kreistag "
    "ihn beschließt."
)


def _organisations(session: Session) -> dict[str, Organisation]:
    existing = {o.name: o for o in session.scalars(select(Organisation))}
    wanted = [(name, OrganisationKind.MUNICIPALITY) for name in MUNICIPALITIES] + PARTNERS
    for name, kind in wanted:
        if name not in existing:
            org = Organisation(name=name, kind=kind.value, is_active=True)
            session.add(org)
            existing[name] = org
    session.flush()
    return existing


def load_demo(session: Session) -> list[tuple[str, str, str]]:
    """Create what is missing of the demo; returns (role, e-mail, password) per login."""
    orgs = _organisations(session)
    users: dict[str, User] = {u.email_key: u for u in session.scalars(select(User))}
    for _label, email, name, org, _role, is_admin, password in DEMO_USERS:
        if email not in users:
            user = User(
                email=email,
                email_key=email,
                name=name,
                organisation=orgs[org],
                is_admin=is_admin,
                is_active=True,
                password_hash=generate_password_hash(password),
            )
            session.add(user)
            users[email] = user
    session.flush()

    consultation = session.scalar(
        select(Consultation).where(Consultation.title == CONSULTATION_TITLE)
    )
    if consultation is None:
        consultation = Consultation(
            title=CONSULTATION_TITLE,
            description=CONSULTATION_DESCRIPTION,
            created_by=users["redaktion@consult.example"],
        )
        session.add(consultation)
        session.flush()
    members = {
        m.user_id
        for m in session.scalars(
            select(Membership).where(Membership.consultation_id == consultation.id)
        )
    }
    for _label, email, _name, _org, role, _admin, _pw in DEMO_USERS:
        user = users[email]
        if role is not None and user.id not in members:
            session.add(
                Membership(consultation_id=consultation.id, user_id=user.id, role=role.value)
            )
    session.flush()
    _load_revisions(session, consultation, users)
    return [(label, email, password) for label, email, _n, _o, _r, _a, password in DEMO_USERS]


def _at_six_pm(moment: datetime) -> datetime:
    """18:00 (Berlin) on the day of ``moment`` in Berlin, in UTC: a deadline as people set one."""
    local = moment.astimezone(ZoneInfo("Europe/Berlin"))
    return local.replace(hour=18, minute=0, second=0, microsecond=0).astimezone(UTC)


def _section(session: Session, revision_id: int, key: str) -> int:
    section_id = session.scalar(
        select(Placement.section_id).where(
            Placement.revision_id == revision_id, Placement.key == key
        )
    )
    assert section_id is not None, key
    return section_id


def _load_revisions(session: Session, consultation: Consultation, users: dict[str, User]) -> None:
    """The story so far: Fassung 1 with a closed round and its feedback, Fassung 2 with
    feedback re-anchored, a round open now (its deadline five days ahead) with comments,
    suggestions and replies, and the draft of Fassung 3 begun."""
    if revisions.latest_revision(session, consultation.id) is not None:
        return
    editor = users["redaktion@consult.example"]
    caritas = users["caritas@consult.example"]
    police = users["polizei@consult.example"]
    association = users["kulturverein@consult.example"]
    siegburg = users["buergermeister.siegburg@consult.example"]
    now = utcnow()

    first = drafts.create_from_markdown(
        session,
        consultation.id,
        actor=editor,
        markdown=demo_texts.read("integrationskonzept_v1.md"),
        note="Entwurf nach den Sitzungen der Arbeitskreise",
    )
    drafts.publish(session, first.id, actor=editor)

    education = working_groups.create_working_group(
        session,
        consultation.id,
        actor=editor,
        name="AK Bildung und Sprache",
        section_ids=[_section(session, first.id, k) for k in ("3.1", "3.1.1", "3.1.2")],
        description="Kitas, Schulen, Volkshochschule, Elternvereine",
    )
    work = working_groups.create_working_group(
        session,
        consultation.id,
        actor=editor,
        name="AK Arbeit und Gesundheit",
        section_ids=[_section(session, first.id, k) for k in ("3.2", "3.3")],
    )
    safety = working_groups.create_working_group(
        session,
        consultation.id,
        actor=editor,
        name="AK Sicherheit und Zusammenhalt",
        section_ids=[_section(session, first.id, k) for k in ("3.5",)],
    )
    for user, groups in (
        (caritas, [education.id, work.id]),
        (association, [education.id]),
        (police, [safety.id]),
    ):
        set_member(
            session,
            consultation.id,
            user.id,
            actor=editor,
            role="participant",
            working_group_ids=groups,
        )

    # Round 1 (closed): the working groups on Fassung 1.
    opened = now - timedelta(days=60)
    first_round = rounds.create_round(
        session,
        consultation.id,
        actor=editor,
        revision_id=first.id,
        title="1. Stufe: Arbeitskreise",
        opens_at=opened,
        closes_at=now - timedelta(days=30),
        working_group_ids=[education.id, work.id, safety.id],
        visibility="round",
        description="Bitte prüfen Sie den Entwurf vor allem in Ihren Handlungsfeldern.",
        now=opened,
        notify=False,
    )
    during = opened + timedelta(days=10)
    rounds.extend_round(
        session,
        first_round.id,
        actor=editor,
        closes_at=now - timedelta(days=25),
        reason="Die Sommerferien fielen in die Frist; die Wohlfahrtsverbände baten um "
        "fünf Tage mehr.",
        now=during,
    )
    prose = _section(session, first.id, "1")
    early = feedback.create_comment(
        session,
        first.id,
        prose,
        actor=caritas,
        quote="Rund ein Viertel der Einwohnerinnen",
        body="Woher stammt diese Zahl? Bitte die Quelle (Zensus oder IT.NRW) nennen.",
        now=during,
    )
    feedback.reply(
        session,
        early.id,
        actor=editor,
        now=during + timedelta(days=1),
        body="Die Zahl stammt aus dem Zensus 2022; wir ergänzen sie in der nächsten Fassung.",
        notify=False,  # the demo's people are made up: no e-mails
    )
    feedback.create_comment(
        session,
        first.id,
        _section(session, first.id, "3.1.2"),
        actor=association,
        quote="innerhalb von drei Monaten einen Schulplatz",
        body="Drei Monate ohne Schule sind für Kinder zu lang. "
        "Andere Kreise schaffen sechs Wochen.",
        now=during + timedelta(days=2),
    )
    feedback.create_suggestion(
        session,
        first.id,
        _section(session, first.id, "4.1"),
        actor=police,
        quote="Wohlfahrtsverbänden und Migrantenorganisationen",
        replacement="Wohlfahrtsverbänden, Polizei und Migrantenorganisationen",
        reason="Die Polizei arbeitet bereits in der Präventionsarbeit mit "
        "und sollte vertreten sein.",
        now=during + timedelta(days=3),
    )
    feedback.create_comment(
        session,
        first.id,
        _section(session, first.id, "4.1"),
        actor=caritas,
        quote="Die sechs Arbeitskreise bleiben bestehen",
        body="Gut so – bitte auch feste Termine im Jahr vorsehen.",
        now=during + timedelta(days=4),
    )

    second = drafts.create_from_markdown(
        session,
        consultation.id,
        actor=editor,
        markdown=demo_texts.read("integrationskonzept_v2.md"),
        note="Überarbeitung nach der ersten Beteiligungsrunde",
    )
    drafts.publish(session, second.id, actor=editor)

    # Round 2 (open now): working groups and municipalities on Fassung 2.
    set_member(session, consultation.id, siegburg.id, actor=editor, role="municipality")
    rounds.create_round(
        session,
        consultation.id,
        actor=editor,
        revision_id=second.id,
        title="2. Stufe: Arbeitskreise und Kommunen",
        opens_at=now - timedelta(days=3),
        closes_at=_at_six_pm(now + timedelta(days=5)),
        working_group_ids=[education.id, work.id, safety.id],
        municipalities=True,
        visibility="group",
        notify=False,
        description="Kommentieren Sie Textstellen oder schlagen Sie Änderungen vor.",
    )
    set_member(
        session,
        consultation.id,
        users["buergermeisterin.much@consult.example"].id,
        actor=editor,
        role="municipality",
    )
    health = _section(session, second.id, "3.3")
    comment = feedback.create_comment(
        session,
        second.id,
        health,
        actor=caritas,
        quote="Pool qualifizierter Sprachmittlerinnen und Sprachmittler",
        body="Wer bezahlt die Einsätze? Die Beratungsstellen der Verbände haben dafür kein Budget.",
    )
    feedback.reply(
        session,
        comment.id,
        actor=editor,
        body="Geplant ist ein Kreisbudget; Details folgen im Maßnahmenplan.",
        notify=False,
    )
    feedback.create_suggestion(
        session,
        second.id,
        _section(session, second.id, "3.6"),
        actor=police,
        quote="gegen Diskriminierung und Hasskriminalität",
        replacement="gegen Diskriminierung, Rassismus und Hasskriminalität",
        reason="Rassismus ausdrücklich benennen, wie im Landesaktionsplan.",
    )
    feedback.create_comment(
        session,
        second.id,
        _section(session, second.id, "3.5"),
        actor=association,
        quote="Migrantenorganisationen als gleichberechtigte Partner",
        body="Teşekkürler! Bitte auch Räume für Vereinstreffen bereitstellen 🙏 – "
        "viele Vereine treffen sich bisher in Privatwohnungen.",
    )
    feedback.create_comment(
        session,
        second.id,
        _section(session, second.id, "5"),
        actor=siegburg,
        anchor=None,
        body="Die Stadt Siegburg trägt das Konzept mit, kann zusätzliche Personalkosten aber nur "
        "übernehmen, wenn das Land sie erstattet.",
    )

    # The editors have begun Fassung 3 and taken up one suggestion already.
    third = drafts.copy_revision(
        session,
        second.id,
        actor=editor,
        note="Überarbeitung nach der 2. Stufe (begonnen)",
    )
    diversity = next(p for p in revisions.outline(session, third).placements if p.key == "3.6")
    draft_sections.update_section(
        session,
        third.id,
        diversity.section_id,
        actor=editor,
        base_version_id=diversity.version_id,
        body=diversity.version.body.replace(
            "gegen Diskriminierung und Hasskriminalität",
            "gegen Diskriminierung, Rassismus und Hasskriminalität",
        ),
    )
