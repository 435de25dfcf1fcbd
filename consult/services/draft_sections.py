"""Editing a draft's sections: save one section's text, add, delete, move and renumber
sections, or replace the whole list. The outline arithmetic is
:mod:`consult.domain.outline_edit`; writing the list back is
:func:`consult.services.drafts.write_items`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.domain.outline import OutlineError, check_key, check_title
from consult.domain.outline_edit import (
    Item,
    check_direction,
    index_of,
    insert_item,
    move_item,
    remove_item,
    renumber_items,
)
from consult.errors import Conflict, Invalid, NotFound
from consult.models import Placement, Revision, SectionVersion
from consult.services import access, permissions, revisions
from consult.services.drafts import items_of, write_items
from consult.services.section_input import clean_body, clean_note, items_from_payload, outline_error

_UNSET: Any = object()


def _not_in_revision() -> NotFound:
    return NotFound(_("Diesen Abschnitt gibt es in dieser Fassung nicht."))


def replace_sections(
    session: Session,
    revision_id: int,
    *,
    actor: object,
    sections: Sequence[Mapping[str, object]],
    note: str | None = _UNSET,
) -> Revision:
    """Replace a draft's whole section list (same format as creating one). Raises
    NotFound, NotPermitted, Conflict (published), Invalid."""
    revision = access.editable_revision(session, revision_id, actor=actor)
    items = items_from_payload(sections)
    if note is not _UNSET:
        revision.note = clean_note(note)
    return write_items(session, revision, items, actor=actor)


def update_section(
    session: Session,
    revision_id: int,
    section_id: int,
    *,
    actor: object,
    base_version_id: int,
    title: str = _UNSET,
    body: str = _UNSET,
    key: str = _UNSET,
) -> Placement:
    """Save a section's text. ``base_version_id`` names the version the edit started from;
    if the draft moved on meanwhile, Conflict (``stale_version``) carries the current
    text. Raises NotFound, NotPermitted, Conflict (also: published), Invalid."""
    revision = access.editable_revision(session, revision_id, actor=actor)
    author = permissions.require_user(actor)
    placement = next(
        (p for p in revisions.outline(session, revision).placements if p.section_id == section_id),
        None,
    )
    if placement is None:
        raise _not_in_revision()
    if base_version_id != placement.version_id:
        current = placement.version
        raise Conflict(
            _(
                "Der Abschnitt wurde inzwischen geändert. Vergleichen Sie Ihren Text mit dem "
                "aktuellen und speichern Sie erneut."
            ),
            code="stale_version",
            details={
                "current": {"version_id": current.id, "title": current.title, "body": current.body}
            },
        )
    if title is _UNSET:
        title = placement.version.title
    if body is _UNSET:
        body = placement.version.body
    try:
        clean_title = check_title(title if isinstance(title, str) else "")
        if key is not _UNSET:
            new_key = check_key(key if isinstance(key, str) else "")
    except OutlineError as exc:
        raise outline_error(exc) from None
    new_body = clean_body(body)
    if key is not _UNSET and new_key != placement.key:
        others = [p.key for p in revision.placements if p.section_id != section_id]
        if new_key and new_key in others:
            raise Invalid(
                _("Die Nummer „%(key)s“ ist schon vergeben.", key=new_key), code="invalid_outline"
            )
        placement.key = new_key
    current = placement.version
    # Text edited back to what the base revision has: share the base's version again,
    # so the section counts as unchanged against the base (no copy of its text).
    in_base = (
        session.scalar(
            select(SectionVersion)
            .join(Placement, Placement.version_id == SectionVersion.id)
            .where(
                Placement.revision_id == revision.base_revision_id,
                Placement.section_id == section_id,
            )
        )
        if revision.base_revision_id is not None
        else None
    )
    if (
        in_base is not None
        and in_base.id != current.id
        and (in_base.title, in_base.body) == (clean_title, new_body)
    ):
        placement.version_id = in_base.id
        placement.version = in_base
    elif current.title != clean_title or current.body != new_body:
        version = SectionVersion(
            section_id=section_id,
            title=clean_title,
            body=new_body,
            previous_id=current.id,
            created_by_id=author.id,
        )
        session.add(version)
        session.flush()
        placement.version_id = version.id
        placement.version = version
    session.flush()
    return placement


def add_section(
    session: Session,
    revision_id: int,
    *,
    actor: object,
    title: str,
    body: str = "",
    key: str = "",
    after_section_id: int | None = None,
    as_child: bool = False,
) -> Placement:
    """A new section after another one (or at the end), as its sibling or first child.
    Raises NotFound, NotPermitted, Conflict (published), Invalid."""
    revision = access.editable_revision(session, revision_id, actor=actor)
    items = items_of(revisions.outline(session, revision).placements)
    try:
        new = Item(
            None,
            check_key(key if isinstance(key, str) else ""),
            check_title(title if isinstance(title, str) else ""),
            clean_body(body),
            None,
        )
    except OutlineError as exc:
        raise outline_error(exc) from None
    after = None
    if after_section_id is not None:
        after = index_of(items, after_section_id)
        if after is None:
            raise _not_in_revision()
    at = insert_item(items, new, after=after, as_child=as_child)
    write_items(session, revision, items, actor=actor)
    return revision.placements[at]


def delete_section(session: Session, revision_id: int, section_id: int, *, actor: object) -> None:
    """Remove a section from the draft (its identity stays for other revisions). Raises
    NotFound, NotPermitted, Conflict (published; it has subsections; the last one)."""
    revision = access.editable_revision(session, revision_id, actor=actor)
    items = items_of(revisions.outline(session, revision).placements)
    index = index_of(items, section_id)
    if index is None:
        raise _not_in_revision()
    try:
        remove_item(items, index)
    except OutlineError as exc:
        raise outline_error(exc) from None
    write_items(session, revision, items, actor=actor)


def move_section(
    session: Session, revision_id: int, section_id: int, *, actor: object, direction: str
) -> None:
    """Move a section with its subsections: up/down among its siblings, indent, outdent.
    Raises Invalid (unknown direction), NotFound, NotPermitted, Conflict (published;
    ``cannot_move`` when it cannot go further)."""
    try:
        check_direction(direction)
    except OutlineError as exc:
        raise outline_error(exc) from None
    revision = access.editable_revision(session, revision_id, actor=actor)
    items = items_of(revisions.outline(session, revision).placements)
    index = index_of(items, section_id)
    if index is None:
        raise _not_in_revision()
    try:
        moved = move_item(items, index, direction)
    except OutlineError as exc:
        raise outline_error(exc) from None
    write_items(session, revision, moved, actor=actor)


def renumber_sections(session: Session, revision_id: int, *, actor: object) -> None:
    """Keys by position in the tree ("1", "1.1", ...); unnumbered sections stay unnumbered.
    Raises NotFound, NotPermitted, Conflict (published)."""
    revision = access.editable_revision(session, revision_id, actor=actor)
    items = items_of(revisions.outline(session, revision).placements)
    renumber_items(items)
    write_items(session, revision, items, actor=actor)
