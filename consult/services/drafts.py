"""Drafts: creating one (from Markdown, from a section list, as a copy of a revision),
writing its sections, its note, publishing it, discarding it. Editing single sections of
a draft is :mod:`consult.services.draft_sections`.

Every function takes the session first and the acting user as ``actor``; it checks
permissions through :mod:`consult.services.access`, flushes, never commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.domain.outline import OutlineError
from consult.domain.outline_edit import Item, validate_items
from consult.errors import Conflict, Invalid
from consult.models import (
    Consultation,
    Placement,
    Revision,
    RevisionStatus,
    Section,
    SectionVersion,
    User,
)
from consult.services import (
    access,
    audit,
    diffs,
    feedback_locations,
    permissions,
    revision_notices,
    revisions,
)
from consult.services.section_input import (
    clean_note,
    items_from_parsed,
    items_from_payload,
    outline_error,
    parse_import,
)


def items_of(placements: Sequence[Placement]) -> list[Item]:
    """The items of a revision's placements (as :func:`revisions.outline` loads them),
    each naming its current version so that unchanged text is shared, not copied. Raises nothing."""
    index = {p.section_id: i for i, p in enumerate(placements)}
    return [
        Item(
            p.section_id,
            p.key,
            p.version.title,
            p.version.body,
            index[p.parent_section_id] if p.parent_section_id is not None else None,
            version_id=p.version_id,
        )
        for p in placements
    ]


def _validated(items: Sequence[Item]) -> list[int]:
    """The depths of the items; raises Invalid (see outline_edit.validate_items)."""
    try:
        return validate_items(items)
    except OutlineError as exc:
        raise outline_error(exc) from None


def _base_revision(
    session: Session, consultation: Consultation, base_revision_id: object
) -> Revision | None:
    if base_revision_id is None:
        return None
    if not isinstance(base_revision_id, int) or isinstance(base_revision_id, bool):
        raise Invalid(_("base_revision_id muss eine Zahl sein."), code="invalid_base_revision")
    base = session.get(Revision, base_revision_id)
    if base is None or base.consultation_id != consultation.id:
        raise Invalid(
            _("Die Ausgangsfassung gibt es in diesem Verfahren nicht."),
            code="unknown_base_revision",
        )
    return base


def _write_placements(
    session: Session,
    revision: Revision,
    items: Sequence[Item],
    sections: Sequence[Section],
    versions: Sequence[SectionVersion],
    depths: Sequence[int],
) -> None:
    for old in list(revision.placements):
        session.delete(old)
    session.flush()
    revision.placements = []
    for position, item in enumerate(items):
        parent_section = sections[item.parent].id if item.parent is not None else None
        revision.placements.append(
            Placement(
                section_id=sections[position].id,
                version_id=versions[position].id,
                key=item.key,
                parent_section_id=parent_section,
                position=position,
                depth=depths[position],
            )
        )
    session.flush()


def _resolve_sections(
    session: Session,
    consultation: Consultation,
    items: Sequence[Item],
    base: Revision | None,
    author: User,
) -> tuple[list[Section], list[SectionVersion]]:
    """Sections and versions for the items: existing ones kept, unchanged text shared."""
    wanted_ids = [i.section_id for i in items if i.section_id is not None]
    known: dict[int, Section] = {}
    if wanted_ids:
        known = {
            s.id: s for s in session.scalars(select(Section).where(Section.id.in_(wanted_ids)))
        }
    for sid in wanted_ids:
        section = known.get(sid)
        if section is None or section.consultation_id != consultation.id:
            raise Invalid(
                _(
                    "Den Abschnitt %(section_id)s gibt es in diesem Verfahren nicht.",
                    section_id=sid,
                ),
                code="unknown_section",
            )
    # The version each known section had last: in the base, else its newest version.
    current: dict[int, SectionVersion] = {}
    if base is not None:
        for placement in revisions.outline(session, base).placements:
            current[placement.section_id] = placement.version
    missing = [sid for sid in wanted_ids if sid not in current]
    if missing:
        newest = (
            select(SectionVersion.section_id, func.max(SectionVersion.id).label("vid"))
            .where(SectionVersion.section_id.in_(missing))
            .group_by(SectionVersion.section_id)
            .subquery()
        )
        for version in session.scalars(
            select(SectionVersion).join(newest, SectionVersion.id == newest.c.vid)
        ):
            current[version.section_id] = version

    # Versions the caller names (a draft keeps its own edited versions when restructured).
    named_ids = [i.version_id for i in items if i.version_id is not None]
    named: dict[int, SectionVersion] = {}
    if named_ids:
        named = {
            v.id: v
            for v in session.scalars(select(SectionVersion).where(SectionVersion.id.in_(named_ids)))
        }

    sections: list[Section] = []
    versions: list[SectionVersion] = []
    for item in items:
        section = known[item.section_id] if item.section_id is not None else None
        if section is None:
            section = Section(consultation_id=consultation.id)
            session.add(section)
        candidates = [
            named.get(item.version_id) if item.version_id is not None else None,
            current.get(section.id) if section.id is not None else None,
        ]
        reused = next(
            (
                v
                for v in candidates
                if v is not None
                and v.section_id == section.id
                and v.title == item.title
                and v.body == item.body
            ),
            None,
        )
        if reused is not None:
            version = reused
        else:
            previous = candidates[1] or candidates[0]
            version = SectionVersion(
                section=section,
                title=item.title,
                body=item.body,
                previous_id=previous.id if previous is not None else None,
                created_by_id=author.id,
            )
            session.add(version)
        sections.append(section)
        versions.append(version)
    session.flush()
    return sections, versions


def build_revision(
    session: Session,
    consultation: Consultation,
    *,
    actor: object,
    items: Sequence[Item],
    base: Revision | None,
    note: str,
) -> Revision:
    """A new draft revision of the items. Raises Invalid or Conflict (a draft exists)."""
    author = permissions.require_user(actor)
    depths = _validated(items)
    draft = revisions.current_draft(session, consultation.id)
    if draft is not None:
        raise Conflict(
            _(
                "Es gibt schon einen Entwurf (Fassung %(n)s). Veröffentlichen oder "
                "bearbeiten Sie ihn, bevor Sie eine neue Fassung anlegen.",
                n=draft.number,
            ),
            code="draft_exists",
            details={"draft_revision_id": draft.id},
        )
    latest = revisions.latest_revision(session, consultation.id)
    if base is None and latest is not None and any(i.section_id is not None for i in items):
        base = latest
    sections, versions = _resolve_sections(session, consultation, items, base, author)
    revision = Revision(
        consultation_id=consultation.id,
        number=(latest.number + 1) if latest is not None else 1,
        status=RevisionStatus.DRAFT.value,
        note=note,
        author_id=author.id,
        base_revision_id=base.id if base is not None else None,
    )
    session.add(revision)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(
            _("Gleichzeitig wurde eine andere Fassung angelegt. Bitte laden Sie neu."),
            code="concurrent_revision",
        ) from None
    _write_placements(session, revision, items, sections, versions, depths)
    return revision


def write_items(
    session: Session, revision: Revision, items: Sequence[Item], *, actor: object
) -> Revision:
    """Make the items the draft's sections (the caller loaded it with
    access.editable_revision): unchanged text keeps its version. Raises Invalid."""
    author = permissions.require_user(actor)
    depths = _validated(items)
    base = revision.base_revision
    consultation = revision.consultation
    sections, versions = _resolve_sections(session, consultation, items, base, author)
    _write_placements(session, revision, items, sections, versions, depths)
    return revision


def create_from_markdown(
    session: Session,
    consultation_id: int,
    *,
    actor: object,
    markdown: str,
    note: str | None = None,
    pasted: bool = False,
) -> Revision:
    """A draft from Markdown (sections matched to the latest revision by key or title).
    Raises NotFound, NotPermitted, Invalid, TooLarge (the text), Conflict (a draft exists)."""
    consultation = access.editable_consultation(session, consultation_id, actor=actor)
    parsed = parse_import(markdown, pasted=pasted)
    items = items_from_parsed(session, consultation, parsed)
    base = revisions.latest_revision(session, consultation.id)
    return build_revision(
        session, consultation, actor=actor, items=items, base=base, note=clean_note(note)
    )


def create_from_sections(
    session: Session,
    consultation_id: int,
    *,
    actor: object,
    sections: Sequence[Mapping[str, object]],
    base_revision_id: int | None = None,
    note: str | None = None,
) -> Revision:
    """A draft from a section list (API.md); a base section not listed is removed. Raises NotFound,
    NotPermitted, Invalid, Conflict (a draft exists)."""
    consultation = access.editable_consultation(session, consultation_id, actor=actor)
    base = _base_revision(session, consultation, base_revision_id)
    items = items_from_payload(sections)
    return build_revision(
        session, consultation, actor=actor, items=items, base=base, note=clean_note(note)
    )


def copy_revision(
    session: Session, revision_id: int, *, actor: object, note: object = None
) -> Revision:
    """ "New draft from this revision": the same sections and versions, a new number. Raises
    NotFound, NotPermitted, Invalid (the note), Conflict (a draft exists)."""
    base = access.get_revision(session, revision_id, actor=actor)
    consultation = access.editable_consultation(session, base.consultation_id, actor=actor)
    items = items_of(revisions.outline(session, base).placements)
    return build_revision(
        session,
        consultation,
        actor=actor,
        items=items,
        base=base,
        note=clean_note(note) or f"Neuer Entwurf auf Grundlage von Fassung {base.number}",
    )


def update_note(session: Session, revision_id: int, *, actor: object, note: str | None) -> Revision:
    """Change a draft's note. Raises NotFound, NotPermitted, Conflict (published), Invalid."""
    revision = access.editable_revision(session, revision_id, actor=actor)
    revision.note = clean_note(note)
    session.flush()
    return revision


def publish(session: Session, revision_id: int, *, actor: object, notify: bool = False) -> Revision:
    """Freeze a draft; earlier published revisions become superseded. With ``notify`` (the
    pages and the API ask for it; scripts and the demo do not) the consultation's members
    who may read it get a notice (services.revision_notices). Raises NotFound,
    NotPermitted, Conflict (already published)."""
    revision = access.editable_revision(session, revision_id, actor=actor)
    for older in session.scalars(
        select(Revision).where(
            Revision.consultation_id == revision.consultation_id,
            Revision.status == RevisionStatus.PUBLISHED.value,
        )
    ):
        older.status = RevisionStatus.SUPERSEDED.value
    revision.status = RevisionStatus.PUBLISHED.value
    revision.published_at = utcnow()
    session.flush()
    # Locate all earlier feedback in the new revision once, so reading never computes.
    feedback_locations.locate_for_revision(session, revision)
    # What it changed, counted once for the history (published text never changes).
    diffs.store_changes(session, revision)
    audit.record(
        session,
        actor=actor,
        action="revision.published",
        object_type="revision",
        object_id=revision.id,
        consultation_id=revision.consultation_id,
        details={"number": revision.number},
    )
    if notify:
        revision_notices.notify_published(session, revision, publisher=actor)
    return revision


def discard_draft(session: Session, revision_id: int, *, actor: object) -> int:
    """Delete a draft (its section versions stay as history); returns the consultation id. Raises
    NotFound, NotPermitted, Conflict (published)."""
    revision = access.editable_revision(session, revision_id, actor=actor)
    consultation_id = revision.consultation_id
    session.delete(revision)
    session.flush()
    return consultation_id
