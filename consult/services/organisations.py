"""Organisations: the welfare associations, schools, police, migrant organisations,
municipalities and the county's own offices that people act for."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.errors import Conflict, Invalid
from consult.models import Organisation, OrganisationKind
from consult.services import access, audit, feedback_versions, permissions
from consult.services.accounts import clean_name
from consult.services.locks import lock_name


def parse_kind(value: object) -> OrganisationKind:
    """The OrganisationKind named by ``value``. Raises Invalid (an unknown kind)."""
    try:
        return OrganisationKind(str(value))
    except ValueError:
        allowed = ", ".join(k.value for k in OrganisationKind)
        raise Invalid(
            _("Unbekannte Art der Organisation. Erlaubt: %(allowed)s.", allowed=allowed),
            code="invalid_kind",
            fields={"kind": _("Bitte eine Art aus der Liste wählen.")},
        ) from None


def list_organisations(session: Session, *, actor: object) -> list[Organisation]:
    """Every organisation by name. Raises NotPermitted (not signed in)."""
    permissions.require(permissions.can_list_organisations(actor))
    return list(session.scalars(select(Organisation).order_by(func.lower(Organisation.name))))


def _ensure_unique_org_name(session: Session, name: str, own_id: int | None = None) -> None:
    # Compared case-folded in Python ("Ärztekammer" is "ärztekammer"): SQL's lower() folds
    # only ASCII on SQLite. A county has a few hundred organisations at most. Under a lock,
    # so that two admins saving "Caritas" and "caritas" at once do not both pass.
    lock_name(session, "organisation names")
    wanted = name.casefold()
    query = select(Organisation.id, Organisation.name)
    if any(oid != own_id and other.casefold() == wanted for oid, other in session.execute(query)):
        raise Conflict(
            _("Eine Organisation mit diesem Namen gibt es schon."),
            code="duplicate_name",
            fields={"name": _("Dieser Name ist schon vergeben.")},
        )


def create_organisation(session: Session, *, actor: object, name: str, kind: str) -> Organisation:
    """Create an organisation. Raises NotPermitted, Invalid, Conflict (name taken)."""
    permissions.require(permissions.can_manage_accounts(actor))
    clean = clean_name(name, "name", _("Name"))
    org_kind = parse_kind(kind)
    _ensure_unique_org_name(session, clean)
    org = Organisation(name=clean, kind=org_kind.value, is_active=True)
    session.add(org)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="organisation.created",
        object_type="organisation",
        object_id=org.id,
        details={"name": org.name, "kind": org.kind},
    )
    return org


def update_organisation(
    session: Session,
    organisation_id: int,
    *,
    actor: object,
    name: str,
    kind: str,
    is_active: bool,
) -> Organisation:
    """Edit an organisation. Raises NotPermitted, NotFound, Invalid, Conflict (name taken).

    A new name also moves the feedback version of the consultations whose feedback
    shows it (services.feedback_versions)."""
    permissions.require(permissions.can_manage_accounts(actor))
    org = access.get_organisation(session, organisation_id, actor=actor)
    clean = clean_name(name, "name", _("Name"))
    org_kind = parse_kind(kind)
    _ensure_unique_org_name(session, clean, org.id)
    renamed = clean != org.name
    org.name, org.kind, org.is_active = clean, org_kind.value, bool(is_active)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="organisation.changed",
        object_type="organisation",
        object_id=org.id,
        details={"name": org.name, "kind": org.kind, "is_active": org.is_active},
    )
    if renamed:  # feedback shows the name: cached reading views must not
        feedback_versions.bump_for_organisation(session, org.id)
    return org
