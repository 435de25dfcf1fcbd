"""Revisions of a concept draft: create (import, section list, copy), edit, publish, read.

Every function takes the session first and the acting user as ``actor``; it checks
permissions through :mod:`consult.services.permissions`, flushes, never commits,
and raises NotPermitted, NotFound, Conflict or Invalid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from consult.db import fits_id, is_id, utcnow
from consult.domain.outline import (
    MAX_SECTIONS,
    OutlineError,
    ParsedSection,
    check_key,
    check_title,
    check_unique_keys,
    depths_of,
    parent_key_of,
    parse_markdown,
    renumber,
)
from consult.domain.textnorm import normalize_text
from consult.errors import Conflict, Invalid, NotFound, TooLarge
from consult.models import (
    Consultation,
    Placement,
    Revision,
    RevisionStatus,
    Section,
    SectionVersion,
    User,
)
from consult.services import permissions
from consult.services.locks import lock

#: Longest imported text and longest section body, in code points.
MAX_IMPORT = 2_000_000
MAX_BODY = 1_000_000
MAX_NOTE = 2000

_UNSET: Any = object()


@dataclass
class Item:
    """One section of a revision being built: identity (or None for new), text, parent."""

    section_id: int | None
    key: str
    title: str
    body: str
    #: Index of the parent item in the list, None at the top level.
    parent: int | None
    #: A version to reuse as it is (when the text is known to be unchanged).
    version_id: int | None = None


@dataclass
class Outline:
    """A revision's sections in reading order, with their versions loaded."""

    revision: Revision
    placements: list[Placement] = field(default_factory=list)


def _outline_message(exc: OutlineError) -> str:
    """The message of an OutlineError in the reader's language."""
    return str(_(exc.template, **exc.params))


def _invalid(exc: OutlineError) -> Invalid:
    return Invalid(_outline_message(exc), code="invalid_outline")


def _actor_user(actor: object) -> User:
    return permissions.require_user(actor)


# --- reading -------------------------------------------------------------------------


def get_revision(session: Session, revision_id: int, *, actor: object) -> Revision:
    """A revision the actor may read; NotFound otherwise (no hint that it exists)."""
    revision = session.get(Revision, revision_id) if fits_id(revision_id) else None
    if revision is None or not permissions.can_read_revision(session, actor, revision):
        raise NotFound(_("Diese Fassung gibt es nicht oder Sie dürfen sie nicht sehen."))
    return revision


def outline(session: Session, revision: Revision) -> Outline:
    """The placements of a revision with their versions, in one query."""
    placements = list(
        session.scalars(
            select(Placement)
            .where(Placement.revision_id == revision.id)
            .options(joinedload(Placement.version))
            .order_by(Placement.position)
        )
    )
    return Outline(revision=revision, placements=placements)


def list_revisions(
    session: Session, consultation: Consultation, *, actor: object
) -> list[Revision]:
    """The revisions of a consultation the actor may read, newest first."""
    revisions = session.scalars(
        select(Revision)
        .where(Revision.consultation_id == consultation.id)
        .options(joinedload(Revision.author))
        .order_by(Revision.number.desc())
    ).all()
    return permissions.readable_revisions(session, actor, revisions)


def latest_revision(session: Session, consultation_id: int) -> Revision | None:
    """The newest revision (draft or published)."""
    return session.scalar(
        select(Revision)
        .where(Revision.consultation_id == consultation_id)
        .order_by(Revision.number.desc())
        .limit(1)
    )


def current_draft(session: Session, consultation_id: int) -> Revision | None:
    return session.scalar(
        select(Revision).where(
            Revision.consultation_id == consultation_id,
            Revision.status == RevisionStatus.DRAFT.value,
        )
    )


# --- creating ------------------------------------------------------------------------


def _editable_consultation(session: Session, consultation_id: int, actor: object) -> Consultation:
    consultation = session.get(Consultation, consultation_id)
    if consultation is None or not permissions.can_view_consultation(session, actor, consultation):
        raise NotFound(_("Dieses Beteiligungsverfahren gibt es nicht."))
    permissions.require(
        permissions.can_edit_consultation(session, actor, consultation),
        _("Nur die Redaktion darf Fassungen anlegen und bearbeiten."),
    )
    # Two editors creating a draft at once: the second sees the first one's draft.
    return lock(session, consultation)


def _clean_body(body: object, n: int | None = None) -> str:
    """The normalised body; ``n`` is the entry's number in an API section list, if any."""
    if not isinstance(body, str):
        if n is None:
            message = _("Der Text fehlt oder ist kein Text.")
        else:
            message = _("Der Text (Abschnitt Nr. %(n)d der Liste) fehlt oder ist kein Text.", n=n)
        raise Invalid(message, code="invalid_body")
    text = normalize_text(body)
    if len(text) > MAX_BODY:
        if n is None:
            message = _(
                "Der Text ist zu lang (höchstens %(limit)s Zeichen).",
                limit=format_decimal(MAX_BODY),
            )
        else:
            message = _(
                "Der Text (Abschnitt Nr. %(n)d der Liste) ist zu lang "
                "(höchstens %(limit)s Zeichen).",
                n=n,
                limit=format_decimal(MAX_BODY),
            )
        raise Invalid(message, code="body_too_long")
    return text


def _clean_note(note: object) -> str:
    if note is None:
        return ""
    if not isinstance(note, str):
        raise Invalid(_("Die Notiz muss Text sein."), code="invalid_note")
    note = normalize_text(note)
    if len(note) > MAX_NOTE:
        raise Invalid(
            _("Die Notiz ist zu lang (höchstens %(limit)d Zeichen).", limit=MAX_NOTE),
            code="invalid_note",
        )
    return note


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


def _validate_items(items: Sequence[Item]) -> list[int]:
    """Depths of the items; raises Invalid for empty lists, twice-used ids, bad trees."""
    if not items:
        raise Invalid(_("Eine Fassung braucht mindestens einen Abschnitt."), code="no_sections")
    seen: set[int] = set()
    for item in items:
        if item.section_id is not None:
            if item.section_id in seen:
                raise Invalid(
                    _(
                        "Der Abschnitt %(section_id)s ist zweimal aufgeführt.",
                        section_id=item.section_id,
                    ),
                    code="duplicate_section",
                )
            seen.add(item.section_id)
    try:
        check_unique_keys([i.key for i in items])
        return depths_of([i.parent for i in items])
    except OutlineError as exc:
        raise _invalid(exc) from None


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
        for placement in outline(session, base).placements:
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
    author = _actor_user(actor)
    depths = _validate_items(items)
    draft = current_draft(session, consultation.id)
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
    latest = latest_revision(session, consultation.id)
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


def items_from_parsed(
    session: Session, consultation: Consultation, parsed: Sequence[ParsedSection]
) -> list[Item]:
    """Items for imported sections, matched to the latest revision.

    Three passes, each taking only sections not matched yet: the same key and title,
    then the same title, then the same key. So a section inserted before others
    (which shifts their numbers) does not take over the identity of the section
    that had its number, and a retitled section keeps its identity by its key.
    """
    items = [Item(None, p.key, p.title, p.body, p.parent) for p in parsed]
    latest = latest_revision(session, consultation.id)
    if latest is None:
        return items

    def signatures(key: str, title: str) -> tuple[object, object, object]:
        """What each pass compares (None never matches)."""
        title = title.casefold()
        return ((key, title) if key else None, title, key or None)

    old = [
        (signatures(p.key, p.version.title), p.section_id)
        for p in outline(session, latest).placements
    ]
    new = [signatures(item.key, item.title) for item in items]
    used: set[int] = set()
    for n in range(3):
        free: dict[object, list[int]] = {}
        for signature, section_id in old:
            if signature[n] is not None and section_id not in used:
                free.setdefault(signature[n], []).append(section_id)
        for item, signature in zip(items, new, strict=True):
            if item.section_id is None and signature[n] is not None and free.get(signature[n]):
                item.section_id = free[signature[n]].pop(0)
                used.add(item.section_id)
    return items


def parse_import(text: object, *, pasted: bool = False) -> list[ParsedSection]:
    """Parse imported Markdown or pasted text. Raises Invalid or TooLarge."""
    if not isinstance(text, str):
        raise Invalid(_("Der Text fehlt."), code="invalid_markdown")
    if len(text) > MAX_IMPORT:
        raise TooLarge(
            _(
                "Der Text ist zu lang (höchstens %(limit)s Zeichen).",
                limit=format_decimal(MAX_IMPORT),
            )
        )
    try:
        parsed = parse_markdown(text, pasted=pasted)
    except OutlineError as exc:
        raise Invalid(_outline_message(exc), code="invalid_markdown") from None
    for section in parsed:
        if len(section.body) > MAX_BODY:
            raise Invalid(
                _(
                    "Der Abschnitt „%(section)s“ ist zu lang (höchstens %(limit)s Zeichen).",
                    section=section.key or section.title,
                    limit=format_decimal(MAX_BODY),
                ),
                code="body_too_long",
            )
    return parsed


def create_from_markdown(
    session: Session,
    consultation_id: int,
    *,
    actor: object,
    markdown: object,
    note: object = None,
    pasted: bool = False,
) -> Revision:
    """A draft from Markdown (sections matched to the latest revision by key or title)."""
    consultation = _editable_consultation(session, consultation_id, actor)
    parsed = parse_import(markdown, pasted=pasted)
    items = items_from_parsed(session, consultation, parsed)
    base = latest_revision(session, consultation.id)
    return build_revision(
        session, consultation, actor=actor, items=items, base=base, note=_clean_note(note)
    )


def items_from_payload(sections: object) -> list[Item]:
    """Items from the API's section list (API.md). Raises Invalid with the offending entry."""
    if not isinstance(sections, list):
        raise Invalid(_("„sections“ muss eine Liste sein."), code="invalid_sections")
    if len(sections) > MAX_SECTIONS:
        raise Invalid(
            _("Zu viele Abschnitte (höchstens %(limit)d).", limit=MAX_SECTIONS),
            code="too_many_sections",
        )
    items: list[Item] = []
    parent_keys: list[str | None] = []
    parent_ids: dict[int, int] = {}
    for n, entry in enumerate(sections, start=1):
        if not isinstance(entry, dict):
            raise Invalid(
                _("Jeder Abschnitt muss ein Objekt sein (Abschnitt Nr. %(n)d der Liste).", n=n),
                code="invalid_sections",
            )
        section_id = entry.get("section_id")
        if section_id is not None and not is_id(section_id):
            raise Invalid(
                _("section_id muss eine Zahl sein (Abschnitt Nr. %(n)d der Liste).", n=n),
                code="invalid_sections",
            )
        key = entry.get("key", "")
        title = entry.get("title")
        if not isinstance(key, str) or not isinstance(title, str):
            raise Invalid(
                _("key und title müssen Text sein (Abschnitt Nr. %(n)d der Liste).", n=n),
                code="invalid_sections",
            )
        try:
            key = check_key(key)
            title = check_title(title)
        except OutlineError as exc:
            raise Invalid(
                _(
                    "%(message)s (Abschnitt Nr. %(n)d der Liste)",
                    message=_outline_message(exc),
                    n=n,
                ),
                code="invalid_sections",
            ) from None
        body = _clean_body(entry.get("body", ""), n)
        parent_section_id = entry.get("parent_section_id")
        if parent_section_id is not None:
            if not is_id(parent_section_id):
                raise Invalid(
                    _(
                        "parent_section_id muss eine Zahl sein (Abschnitt Nr. %(n)d der Liste).",
                        n=n,
                    ),
                    code="invalid_sections",
                )
            parent_ids[n - 1] = parent_section_id
            parent_key = None
        elif "parent_key" in entry:
            parent_key = entry["parent_key"]
            if parent_key is not None and not isinstance(parent_key, str):
                raise Invalid(
                    _("parent_key muss Text sein (Abschnitt Nr. %(n)d der Liste).", n=n),
                    code="invalid_sections",
                )
        else:
            parent_key = parent_key_of(key) if key else None
        parent_keys.append(parent_key or None)
        items.append(Item(section_id, key, title, body, None))
    index_of_key = {item.key: i for i, item in enumerate(items) if item.key}
    for i, parent_key in enumerate(parent_keys):
        if parent_key is None:
            continue
        parent = index_of_key.get(parent_key)
        if parent is None:
            raise Invalid(
                _(
                    "Den übergeordneten Abschnitt „%(parent)s“ von „%(section)s“ gibt es in der "
                    "Liste nicht.",
                    parent=parent_key,
                    section=items[i].key or items[i].title,
                ),
                code="unknown_parent",
            )
        if parent == i:
            raise Invalid(
                _(
                    "Der Abschnitt „%(key)s“ kann nicht sein eigener übergeordneter "
                    "Abschnitt sein.",
                    key=items[i].key,
                ),
                code="parent_cycle",
            )
        items[i].parent = parent
    index_of_id = {item.section_id: i for i, item in enumerate(items) if item.section_id}
    for i, parent_id in parent_ids.items():
        parent = index_of_id.get(parent_id)
        if parent is None:
            raise Invalid(
                _(
                    "Den übergeordneten Abschnitt %(parent)s von „%(section)s“ gibt es in der "
                    "Liste nicht.",
                    parent=parent_id,
                    section=items[i].key or items[i].title,
                ),
                code="unknown_parent",
            )
        if parent == i:
            raise Invalid(
                _("Ein Abschnitt kann nicht sein eigener übergeordneter Abschnitt sein."),
                code="parent_cycle",
            )
        items[i].parent = parent
    return items


def create_from_sections(
    session: Session,
    consultation_id: int,
    *,
    actor: object,
    sections: object,
    base_revision_id: object = None,
    note: object = None,
) -> Revision:
    """A draft from a section list (API.md); a base section not listed is removed."""
    consultation = _editable_consultation(session, consultation_id, actor)
    base = _base_revision(session, consultation, base_revision_id)
    items = items_from_payload(sections)
    return build_revision(
        session, consultation, actor=actor, items=items, base=base, note=_clean_note(note)
    )


def copy_revision(
    session: Session, revision_id: int, *, actor: object, note: object = None
) -> Revision:
    """ "New draft from this revision": the same sections and versions, a new number."""
    base = get_revision(session, revision_id, actor=actor)
    consultation = _editable_consultation(session, base.consultation_id, actor)
    items = _items_of(outline(session, base).placements)
    return build_revision(
        session,
        consultation,
        actor=actor,
        items=items,
        base=base,
        note=_clean_note(note) or f"Neuer Entwurf auf Grundlage von Fassung {base.number}",
    )


# --- editing a draft -----------------------------------------------------------------


def editable_revision(session: Session, revision_id: int, *, actor: object) -> Revision:
    """A draft the actor may edit, locked until the transaction ends (of two editors
    saving at once, the second sees the first one's save). Published revisions never
    change: Conflict (409); NotFound or NotPermitted for others."""
    revision = get_revision(session, revision_id, actor=actor)
    permissions.require(
        permissions.can_edit_revision(session, actor, revision),
        _("Nur die Redaktion darf Fassungen bearbeiten."),
    )
    lock(session, revision)
    if not revision.is_draft:
        raise Conflict(
            _(
                "Fassung %(n)s ist veröffentlicht und kann nicht mehr geändert werden. "
                "Legen Sie einen neuen Entwurf an.",
                n=revision.number,
            ),
            code="revision_published",
        )
    return revision


def _items_of(placements: Sequence[Placement]) -> list[Item]:
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


def _restructure(
    session: Session, revision: Revision, items: list[Item], actor: object
) -> Revision:
    author = _actor_user(actor)
    depths = _validate_items(items)
    base = revision.base_revision
    consultation = revision.consultation
    sections, versions = _resolve_sections(session, consultation, items, base, author)
    _write_placements(session, revision, items, sections, versions, depths)
    return revision


def replace_sections(
    session: Session,
    revision_id: int,
    *,
    actor: object,
    sections: object,
    note: object = _UNSET,
) -> Revision:
    """Replace a draft's whole section list (same format as creating one)."""
    revision = editable_revision(session, revision_id, actor=actor)
    items = items_from_payload(sections)
    if note is not _UNSET:
        revision.note = _clean_note(note)
    return _restructure(session, revision, items, actor)


def update_section(
    session: Session,
    revision_id: int,
    section_id: int,
    *,
    actor: object,
    base_version_id: object,
    title: object = _UNSET,
    body: object = _UNSET,
    key: object = _UNSET,
) -> Placement:
    """Save a section's text. ``base_version_id`` names the version the edit started from;
    if the draft moved on meanwhile, Conflict (409) carries the current text."""
    revision = editable_revision(session, revision_id, actor=actor)
    author = _actor_user(actor)
    placement = next(
        (p for p in outline(session, revision).placements if p.section_id == section_id), None
    )
    if placement is None:
        raise NotFound(_("Diesen Abschnitt gibt es in dieser Fassung nicht."))
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
        raise _invalid(exc) from None
    clean_body = _clean_body(body)
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
        and (in_base.title, in_base.body) == (clean_title, clean_body)
    ):
        placement.version_id = in_base.id
        placement.version = in_base
    elif current.title != clean_title or current.body != clean_body:
        version = SectionVersion(
            section_id=section_id,
            title=clean_title,
            body=clean_body,
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
    title: object,
    body: object = "",
    key: object = "",
    after_section_id: int | None = None,
    as_child: bool = False,
) -> Placement:
    """A new section after another one (or at the end), as its sibling or first child."""
    revision = editable_revision(session, revision_id, actor=actor)
    items = _items_of(outline(session, revision).placements)
    try:
        new = Item(
            None,
            check_key(key if isinstance(key, str) else ""),
            check_title(title if isinstance(title, str) else ""),
            _clean_body(body),
            None,
        )
    except OutlineError as exc:
        raise _invalid(exc) from None
    if after_section_id is None:
        at = len(items)
    else:
        index = next((i for i, it in enumerate(items) if it.section_id == after_section_id), None)
        if index is None:
            raise NotFound(_("Diesen Abschnitt gibt es in dieser Fassung nicht."))
        if as_child:
            new.parent = index
            at = index + 1
        else:
            new.parent = items[index].parent
            at = _subtree_end(items, index)
    items.insert(at, new)
    _shift_parents(items, at, +1, skip=at)
    _restructure(session, revision, items, actor)
    return revision.placements[at]


def _shift_parents(items: list[Item], at: int, delta: int, skip: int | None = None) -> None:
    for i, item in enumerate(items):
        if i != skip and item.parent is not None and item.parent >= at:
            item.parent += delta


def _depths(items: Sequence[Item]) -> list[int]:
    return depths_of([i.parent for i in items])


def _subtree_end(items: Sequence[Item], index: int) -> int:
    depths = _depths(items)
    end = index + 1
    while end < len(items) and depths[end] > depths[index]:
        end += 1
    return end


def delete_section(session: Session, revision_id: int, section_id: int, *, actor: object) -> None:
    """Remove a section (its identity stays for other revisions). Refuses one with children."""
    revision = editable_revision(session, revision_id, actor=actor)
    items = _items_of(outline(session, revision).placements)
    index = next((i for i, it in enumerate(items) if it.section_id == section_id), None)
    if index is None:
        raise NotFound(_("Diesen Abschnitt gibt es in dieser Fassung nicht."))
    if any(it.parent == index for it in items):
        raise Conflict(
            _("Der Abschnitt hat Unterabschnitte. Verschieben oder löschen Sie diese zuerst."),
            code="has_children",
        )
    if len(items) == 1:
        raise Conflict(
            _("Der letzte Abschnitt einer Fassung kann nicht gelöscht werden."),
            code="last_section",
        )
    del items[index]
    _shift_parents(items, index, -1)
    _restructure(session, revision, items, actor)


MOVES = ("up", "down", "indent", "outdent")


def move_section(
    session: Session, revision_id: int, section_id: int, *, actor: object, direction: str
) -> None:
    """Move a section with its subsections: up/down among its siblings, indent, outdent."""
    if direction not in MOVES:
        raise Invalid(_("Unbekannte Richtung."), code="invalid_move")
    revision = editable_revision(session, revision_id, actor=actor)
    items = _items_of(outline(session, revision).placements)
    index = next((i for i, it in enumerate(items) if it.section_id == section_id), None)
    if index is None:
        raise NotFound(_("Diesen Abschnitt gibt es in dieser Fassung nicht."))
    parent = items[index].parent
    siblings = [i for i, it in enumerate(items) if it.parent == parent]
    pos = siblings.index(index)
    if direction == "indent":
        if pos == 0:
            raise Conflict(
                _("Der erste Abschnitt einer Ebene kann nicht eingerückt werden."),
                code="cannot_move",
            )
        items[index].parent = siblings[pos - 1]
        _restructure(session, revision, items, actor)
        return
    if direction == "outdent":
        if parent is None:
            raise Conflict(
                _("Der Abschnitt steht schon auf der obersten Ebene."), code="cannot_move"
            )
        end = _subtree_end(items, index)
        block_end = _subtree_end(items, parent)
        order = (
            list(range(index))
            + list(range(end, block_end))
            + list(range(index, end))
            + list(range(block_end, len(items)))
        )
        items[index].parent = items[parent].parent
        _reorder(session, revision, items, order, actor)
        return
    if (direction == "up" and pos == 0) or (direction == "down" and pos == len(siblings) - 1):
        raise Conflict(_("Der Abschnitt lässt sich nicht weiter verschieben."), code="cannot_move")
    first, second = (siblings[pos - 1], index) if direction == "up" else (index, siblings[pos + 1])
    first_end, second_end = _subtree_end(items, first), _subtree_end(items, second)
    order = (
        list(range(first))
        + list(range(second, second_end))
        + list(range(first_end, second))
        + list(range(first, first_end))
        + list(range(second_end, len(items)))
    )
    _reorder(session, revision, items, order, actor)


def _reorder(
    session: Session, revision: Revision, items: list[Item], order: list[int], actor: object
) -> None:
    new_index = {old: new for new, old in enumerate(order)}
    reordered = [items[i] for i in order]
    for item in reordered:
        if item.parent is not None:
            item.parent = new_index[item.parent]
    _restructure(session, revision, reordered, actor)


def renumber_sections(session: Session, revision_id: int, *, actor: object) -> None:
    """Keys by position in the tree ("1", "1.1", ...); unnumbered sections stay unnumbered."""
    revision = editable_revision(session, revision_id, actor=actor)
    items = _items_of(outline(session, revision).placements)
    keys = renumber([i.parent for i in items], [bool(i.key) for i in items])
    for item, key in zip(items, keys, strict=True):
        item.key = key
    _restructure(session, revision, items, actor)


def update_note(session: Session, revision_id: int, *, actor: object, note: object) -> Revision:
    revision = editable_revision(session, revision_id, actor=actor)
    revision.note = _clean_note(note)
    session.flush()
    return revision


def publish(session: Session, revision_id: int, *, actor: object) -> Revision:
    """Freeze a draft; earlier published revisions become superseded."""
    revision = editable_revision(session, revision_id, actor=actor)
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
    from consult.services.feedback import locate_for_revision

    locate_for_revision(session, revision)
    # What it changed, counted once for the history (published text never changes).
    from consult.services.diffs import store_changes

    store_changes(session, revision)
    return revision


def discard_draft(session: Session, revision_id: int, *, actor: object) -> int:
    """Delete a draft (its section versions stay as history); returns the consultation id."""
    revision = editable_revision(session, revision_id, actor=actor)
    consultation_id = revision.consultation_id
    session.delete(revision)
    session.flush()
    return consultation_id
