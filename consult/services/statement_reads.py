"""Reading statements: one statement with its versions (and, for its municipality, its
draft), one version with its remarks and attachments, the difference between two
versions, the current versions of a round the reader may see, and what a municipality's
page needs to know before anyone types (the deadline, whether it is open, who may do
what). Writing is :mod:`consult.services.statements`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from consult.db import utcnow
from consult.domain.textdiff import Op, word_diff
from consult.errors import Invalid, NotFound
from consult.models import (
    Feedback,
    Organisation,
    Placement,
    Round,
    SectionVersion,
    Statement,
    StatementAttachment,
    StatementExtension,
    StatementVersion,
    StatementVersionAttachment,
    StatementVersionRemark,
)
from consult.services import permissions
from consult.services import statement_access as reach


@dataclass(frozen=True)
class RemarkView:
    """A section remark as a version (or the draft) shows it."""

    section_id: int
    section_key: str
    section_title: str
    body: str
    quote: str | None
    anchor_start: int | None
    anchor_end: int | None
    #: The feedback item it became (versions only; None for the draft's).
    feedback_id: int | None = None
    #: The item's status: open, resolved, superseded (versions only).
    status: str | None = None


@dataclass(frozen=True)
class VersionView:
    version: StatementVersion
    remarks: list[RemarkView]
    attachments: list[StatementAttachment]


@dataclass
class StatementView:
    """A statement as one reader may see it."""

    statement: Statement
    round: Round
    organisation: Organisation
    versions: list[StatementVersion]
    #: The municipality's members see the draft (and its attachments); others None.
    draft_remarks: list[RemarkView] | None
    draft_attachments: list[StatementAttachment] | None
    deadline: datetime
    extension: StatementExtension | None

    @property
    def current(self) -> StatementVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def shows_draft(self) -> bool:
        return self.draft_remarks is not None


def _sections(session: Session, revision_id: int) -> dict[int, tuple[str, str]]:
    return {
        section_id: (key, title)
        for section_id, key, title in session.execute(
            select(Placement.section_id, Placement.key, SectionVersion.title)
            .join(SectionVersion, SectionVersion.id == Placement.version_id)
            .where(Placement.revision_id == revision_id)
        )
    }


def version_views(
    session: Session, round_: Round, versions: Sequence[StatementVersion]
) -> dict[int, VersionView]:
    """The remarks and attachments of these versions (of one round), by version id, in
    three queries. Raises nothing (the caller checked that the reader may see them)."""
    ids = [v.id for v in versions]
    if not ids:
        return {}
    sections = _sections(session, round_.revision_id)
    gone = _("(Abschnitt entfallen)")
    remarks: dict[int, list[RemarkView]] = {i: [] for i in ids}
    for link, item in session.execute(
        select(StatementVersionRemark, Feedback)
        .join(Feedback, Feedback.id == StatementVersionRemark.feedback_id)
        .where(StatementVersionRemark.version_id.in_(ids))
        .order_by(StatementVersionRemark.version_id, StatementVersionRemark.position)
    ):
        key, title = sections.get(item.section_id, ("", gone))
        remarks[link.version_id].append(
            RemarkView(
                item.section_id,
                key,
                title,
                item.body,
                item.quote,
                item.anchor_start,
                item.anchor_end,
                item.id,
                item.status,
            )
        )
    files: dict[int, list[StatementAttachment]] = {i: [] for i in ids}
    for held, attachment in session.execute(
        select(StatementVersionAttachment, StatementAttachment)
        .join(
            StatementAttachment, StatementAttachment.id == StatementVersionAttachment.attachment_id
        )
        .where(StatementVersionAttachment.version_id.in_(ids))
        .order_by(StatementAttachment.id)
    ):
        files[held.version_id].append(attachment)
    return {v.id: VersionView(v, remarks[v.id], files[v.id]) for v in versions}


def _draft_remarks(session: Session, round_: Round, statement: Statement) -> list[RemarkView]:
    sections = _sections(session, round_.revision_id)
    gone = _("(Abschnitt entfallen)")
    found = []
    for r in statement.draft_remarks:
        key, title = sections.get(r.section_id, ("", gone))
        found.append(
            RemarkView(r.section_id, key, title, r.body, r.quote, r.anchor_start, r.anchor_end)
        )
    return found


def view(session: Session, statement: Statement, *, actor: object) -> StatementView:
    """What the actor may see of a statement loaded through
    statement_access.get_statement. Raises nothing."""
    round_ = reach.round_of(session, statement)
    extension = reach.extensions_by_municipality(session, round_.id).get(statement.organisation_id)
    own = permissions.can_read_statement_draft(session, actor, round_, statement.organisation_id)
    versions = list(
        session.scalars(
            select(StatementVersion)
            .where(StatementVersion.statement_id == statement.id)
            .options(
                selectinload(StatementVersion.submitted_by),
                selectinload(StatementVersion.recorded_by),
            )
            .order_by(StatementVersion.number)
        )
    )
    return StatementView(
        statement=statement,
        round=round_,
        organisation=statement.organisation,
        versions=versions,
        draft_remarks=_draft_remarks(session, round_, statement) if own else None,
        draft_attachments=[a for a in statement.attachments if a.in_draft] if own else None,
        deadline=reach.deadline(round_, extension),
        extension=extension,
    )


def require_visible(session: Session, statement_id: int, *, actor: object) -> None:
    """Check that the actor may see the statement. Raises NotFound, NotPermitted."""
    reach.get_statement(session, statement_id, actor=actor)


def get_view(session: Session, statement_id: int, *, actor: object) -> StatementView:
    """One statement with its versions. Raises NotFound, NotPermitted (another
    municipality's, before publication)."""
    return view(session, reach.get_statement(session, statement_id, actor=actor), actor=actor)


def get_version(session: Session, statement_id: int, number: int, *, actor: object) -> VersionView:
    """Version ``number`` of a statement, with its remarks and attachments. Raises NotFound
    (also an unknown number), NotPermitted."""
    statement = reach.get_statement(session, statement_id, actor=actor)
    version = session.scalar(
        select(StatementVersion).where(
            StatementVersion.statement_id == statement.id, StatementVersion.number == number
        )
    )
    if version is None:
        raise NotFound(_("Diese Fassung der Stellungnahme gibt es nicht."))
    return version_views(session, reach.round_of(session, statement), [version])[version.id]


@dataclass(frozen=True)
class VersionDiff:
    """From one version of a statement to another."""

    old: StatementVersion
    new: StatementVersion
    #: Word-level ops of the body, from ``old`` to ``new``.
    ops: list[Op]
    old_remarks: list[RemarkView] = field(default_factory=list)
    new_remarks: list[RemarkView] = field(default_factory=list)

    @property
    def position_changed(self) -> bool:
        return self.old.position != self.new.position


def diff(session: Session, statement_id: int, *, actor: object, old: int, new: int) -> VersionDiff:
    """What changed from version ``old`` to version ``new`` of a statement. Raises
    NotFound (a version that does not exist), NotPermitted, Invalid (the same version
    twice)."""
    statement = reach.get_statement(session, statement_id, actor=actor)
    if old == new:
        raise Invalid(
            _("Bitte zwei verschiedene Fassungen wählen."),
            code="invalid_parameter",
            fields={"against": _("Eine andere Fassung wählen.")},
        )
    found = {
        v.number: v
        for v in session.scalars(
            select(StatementVersion).where(
                StatementVersion.statement_id == statement.id,
                StatementVersion.number.in_([old, new]),
            )
        )
    }
    if old not in found or new not in found:
        raise NotFound(_("Diese Fassung der Stellungnahme gibt es nicht."))
    views = version_views(session, reach.round_of(session, statement), list(found.values()))
    before, after = views[found[old].id], views[found[new].id]
    return VersionDiff(
        before.version,
        after.version,
        word_diff(before.version.body, after.version.body),
        before.remarks,
        after.remarks,
    )


def round_statements(session: Session, round_id: int, *, actor: object) -> list[StatementView]:
    """The statements of a round the actor may see, by municipality name, each with its
    versions (those without a version only for their own municipality). Raises NotFound,
    Conflict (a round without statements)."""
    round_ = reach.statement_round(session, round_id, actor=actor)
    is_published = reach.published(session, round_.id)
    statements = session.scalars(
        select(Statement)
        .join(Organisation, Organisation.id == Statement.organisation_id)
        .where(Statement.round_id == round_.id)
        .options(selectinload(Statement.attachments), selectinload(Statement.draft_remarks))
        .order_by(Organisation.name)
    ).all()
    found = []
    for statement in statements:
        if not permissions.can_read_statement(
            session, actor, round_, statement.organisation_id, published=is_published
        ):
            continue
        shown = view(session, statement, actor=actor)
        if shown.versions or shown.shows_draft:
            found.append(shown)
    return found


@dataclass(frozen=True)
class Situation:
    """What a municipality's page shows before anyone types."""

    round: Round
    organisation: Organisation
    deadline: datetime
    extension: StatementExtension | None
    #: "scheduled", "open" or "closed" (for this municipality, its extension included).
    status: str
    #: The actor drafts for the municipality (staff and signatories).
    can_draft: bool
    #: The actor signs for it (submits, releases, returns).
    can_submit: bool
    #: The actor records statements from paper (editors).
    can_record: bool
    statement: Statement | None


def situation(
    session: Session,
    round_id: int,
    organisation_id: int,
    *,
    actor: object,
    now: datetime | None = None,
) -> Situation:
    """The deadline and rights of ``actor`` for one municipality's statement in a round
    (for the statement form: "the form says so before anyone types"). Raises NotFound,
    Conflict (a round without statements), Invalid (not a municipality), NotPermitted
    (neither a member of that municipality nor an editor)."""
    round_ = reach.statement_round(session, round_id, actor=actor)
    organisation = reach.municipality(session, organisation_id)
    can_record = permissions.can_record_statement(session, actor, round_)
    if not can_record:
        reach.require_municipality_member(session, actor, round_, organisation)
    extension = reach.extensions_by_municipality(session, round_.id).get(organisation.id)
    end = reach.deadline(round_, extension)
    now = now or utcnow()
    status = "scheduled" if now < round_.opens_at else ("closed" if now >= end else "open")
    return Situation(
        round=round_,
        organisation=organisation,
        deadline=end,
        extension=extension,
        status=status,
        can_draft=permissions.can_draft_statement(session, actor, round_, organisation.id),
        can_submit=permissions.can_submit_statement(session, actor, round_, organisation.id),
        can_record=can_record,
        statement=session.scalar(
            select(Statement).where(
                Statement.round_id == round_.id, Statement.organisation_id == organisation.id
            )
        ),
    )
