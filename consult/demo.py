"""The demo installation: a county, its municipalities and partners, one user per role,
and the consultation whose story consult.demo_story tells.

``load_demo`` is idempotent: what exists is left alone, what is missing is added.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from consult.demo_story import load_story
from consult.models import (
    Consultation,
    Membership,
    NotificationKind,
    NotificationMode,
    NotificationSetting,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from consult.services import notification_settings

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
        "Kommune, Bürgermeister/in",
        "buergermeister.siegburg@consult.example",
        "Stefan Roth",
        "Siegburg",
        Role.MUNICIPALITY,
        False,
        "Demo-Siegburg-2026",
    ),
    (
        "Kommune, Bürgermeister/in",
        "buergermeisterin.much@consult.example",
        "Petra Lenz",
        "Much",
        Role.MUNICIPALITY,
        False,
        "Demo-Much-2026",
    ),
    (
        "Kommune, Sachbearbeitung",
        "verwaltung.much@consult.example",
        "Tobias Klein",
        "Much",
        Role.MUNICIPALITY,
        False,
        "Demo-Much-Verwaltung-2026",
    ),
    (
        "Kommune, Bürgermeister/in",
        "buergermeister.troisdorf@consult.example",
        "Markus Feldmann",
        "Troisdorf",
        Role.MUNICIPALITY,
        False,
        "Demo-Troisdorf-2026",
    ),
    (
        "Kommune, Sachbearbeitung",
        "verwaltung.troisdorf@consult.example",
        "Derya Aksoy",
        "Troisdorf",
        Role.MUNICIPALITY,
        False,
        "Demo-Troisdorf-Verwaltung-2026",
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

#: The municipality members who sign for their town (mayors), with their function; the
#: other municipality members are drafting staff (they prepare statements for release).
SIGNATORIES = {
    "buergermeister.siegburg@consult.example": "Bürgermeister",
    "buergermeisterin.much@consult.example": "Bürgermeisterin",
    "buergermeister.troisdorf@consult.example": "Bürgermeister",
}

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


#: How some demo people chose to be notified (the others get everything at once).
NOTIFICATION_CHOICES = {
    "kulturverein@consult.example": {
        NotificationKind.REPLY: NotificationMode.DIGEST,
        NotificationKind.DECISIONS: NotificationMode.DIGEST,
    },
    "polizei@consult.example": {NotificationKind.REVISION: NotificationMode.OFF},
}


def _notification_choices(session: Session, users: dict[str, User]) -> None:
    """The demo people's own notification settings, unless they have chosen already."""
    for email, choices in NOTIFICATION_CHOICES.items():
        user = users[email]
        chosen = session.scalar(
            select(NotificationSetting.id).where(NotificationSetting.user_id == user.id)
        )
        if chosen is None:
            notification_settings.update_settings(session, choices, actor=user)


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
            membership = Membership(
                consultation_id=consultation.id, user_id=user.id, role=role.value
            )
            if role is Role.MUNICIPALITY:
                membership.is_signatory = email in SIGNATORIES
                membership.signatory_function = SIGNATORIES.get(email)
            session.add(membership)
    session.flush()
    load_story(session, consultation, users)
    _notification_choices(session, users)
    return [(label, email, password) for label, email, _n, _o, _r, _a, password in DEMO_USERS]
