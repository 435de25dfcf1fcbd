"""All models, imported so that the metadata is complete."""

from consult.models.accounts import ApiToken, OneTimeToken, Organisation, OrganisationKind, User
from consult.models.consultations import Consultation, Membership, Role
from consult.models.decisions import (
    ChangeProvenance,
    DecisionKind,
    FeedbackDecision,
    FeedbackReview,
    PublicationKind,
    ResponseSnippet,
    RoundPublication,
)
from consult.models.feedback import Feedback, FeedbackEdit, FeedbackKind, FeedbackLocation, Reply
from consult.models.mail import OutboxMessage
from consult.models.revisions import (
    Placement,
    Revision,
    RevisionChange,
    RevisionStatus,
    Section,
    SectionDiff,
    SectionVersion,
)
from consult.models.rounds import (
    ExtensionKind,
    Round,
    RoundExtension,
    RoundGroup,
    RoundReminder,
    Visibility,
    WorkingGroup,
    WorkingGroupMember,
    WorkingGroupSection,
)
from consult.models.submissions import Submission

__all__ = [
    "ApiToken",
    "ChangeProvenance",
    "Consultation",
    "DecisionKind",
    "ExtensionKind",
    "Feedback",
    "FeedbackDecision",
    "FeedbackEdit",
    "FeedbackKind",
    "FeedbackLocation",
    "FeedbackReview",
    "Membership",
    "OneTimeToken",
    "Organisation",
    "OrganisationKind",
    "OutboxMessage",
    "Placement",
    "PublicationKind",
    "Reply",
    "ResponseSnippet",
    "Revision",
    "RevisionChange",
    "RevisionStatus",
    "Role",
    "Round",
    "RoundExtension",
    "RoundGroup",
    "RoundPublication",
    "RoundReminder",
    "Section",
    "SectionDiff",
    "SectionVersion",
    "Submission",
    "User",
    "Visibility",
    "WorkingGroup",
    "WorkingGroupMember",
    "WorkingGroupSection",
]
