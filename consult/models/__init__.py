"""All models, imported so that the metadata is complete."""

from consult.models.accounts import ApiToken, OneTimeToken, Organisation, OrganisationKind, User
from consult.models.consultations import Consultation, Membership, Role
from consult.models.mail import OutboxMessage
from consult.models.revisions import (
    Placement,
    Revision,
    RevisionStatus,
    Section,
    SectionDiff,
    SectionVersion,
)

__all__ = [
    "ApiToken",
    "Consultation",
    "Membership",
    "OneTimeToken",
    "Organisation",
    "OrganisationKind",
    "OutboxMessage",
    "Placement",
    "Revision",
    "RevisionStatus",
    "Role",
    "Section",
    "SectionDiff",
    "SectionVersion",
    "User",
]
