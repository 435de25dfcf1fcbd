"""Section lists from input: imported Markdown or pasted text, the API's section list,
section bodies and notes, with their limits. Turns them into the items a draft is
built from (:class:`consult.domain.outline_edit.Item`)."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from consult.db import is_id
from consult.domain import textrules
from consult.domain.outline import (
    MAX_SECTIONS,
    OutlineError,
    ParsedSection,
    check_key,
    check_title,
    parent_key_of,
    parse_markdown,
)
from consult.domain.outline_edit import EditRefused, InvalidItems, Item
from consult.errors import Conflict, Invalid, ServiceError, TooLarge
from consult.models import Consultation
from consult.services import revisions
from consult.services.text_fields import checked

#: Longest imported text and longest section body, in code points.
MAX_IMPORT = 2_000_000
MAX_BODY = 1_000_000
MAX_NOTE = 2000


def outline_message(exc: OutlineError) -> str:
    """The message of an OutlineError in the reader's language (a ``label`` parameter is
    a marked term, translated too). Raises nothing."""
    params = dict(exc.params)
    if isinstance(params.get("label"), str):
        params["label"] = _(str(params["label"]))
    return str(_(exc.template, **params))


def outline_error(exc: OutlineError) -> ServiceError:
    """The service error for an OutlineError: Conflict for an edit the outline refuses,
    else Invalid (``invalid_outline`` unless the error names its code). Raises nothing."""
    if isinstance(exc, EditRefused):
        return Conflict(outline_message(exc), code=exc.code)
    code = exc.code if isinstance(exc, InvalidItems) else "invalid_outline"
    return Invalid(outline_message(exc), code=code)


def clean_body(body: object, n: int | None = None) -> str:
    """The normalised body under the text rules; ``n`` is the entry's number in an API
    section list, if any. Raises Invalid (not text, a refused character, longer than
    MAX_BODY: ``body_too_long``)."""
    label = _("Der Text") if n is None else _("Der Text (Abschnitt Nr. %(n)d der Liste)", n=n)
    if not isinstance(body, str):  # "" is a body; None is none
        raise Invalid(
            _("%(label)s fehlt oder ist kein Text.", label=label),
            code="invalid_body",
            fields={"body": _("Bitte angeben.")},
        )
    return checked(body, textrules.SECTION_BODY, "body", label, codes={"too_long": "body_too_long"})


def clean_note(note: object) -> str:
    """A revision's note, normalised ("" for None). Raises Invalid (not text, a refused
    character, too long)."""
    return checked(note, textrules.NOTE, "note", _("Die Notiz"))


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
        raise Invalid(outline_message(exc), code="invalid_markdown") from None
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


def items_from_parsed(
    session: Session, consultation: Consultation, parsed: Sequence[ParsedSection]
) -> list[Item]:
    """Items for imported sections, matched to the latest revision. Raises nothing.

    Three passes, each taking only sections not matched yet: the same key and title,
    then the same title, then the same key. So a section inserted before others
    (which shifts their numbers) does not take over the identity of the section
    that had its number, and a retitled section keeps its identity by its key.
    """
    items = [Item(None, p.key, p.title, p.body, p.parent) for p in parsed]
    latest = revisions.latest_revision(session, consultation.id)
    if latest is None:
        return items

    def signatures(key: str, title: str) -> tuple[object, object, object]:
        """What each pass compares (None never matches)."""
        title = title.casefold()
        return ((key, title) if key else None, title, key or None)

    old = [
        (signatures(p.key, p.version.title), p.section_id)
        for p in revisions.outline(session, latest).placements
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
                    message=outline_message(exc),
                    n=n,
                ),
                code="invalid_sections",
            ) from None
        body = clean_body(entry.get("body", ""), n)
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
