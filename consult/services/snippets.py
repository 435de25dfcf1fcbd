"""Response snippets (Textbausteine): the editors' reusable responses of a consultation,
most used first; a decision that takes one counts its use (services.decisions)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.db import is_id
from consult.domain import textrules
from consult.errors import Invalid, NotFound
from consult.models import ResponseSnippet
from consult.services import access, permissions
from consult.services.text_fields import checked


def list_snippets(
    session: Session, consultation_id: int, *, actor: object
) -> list[ResponseSnippet]:
    """The consultation's response snippets, most used first (editors). Raises NotFound,
    NotPermitted."""
    consultation = access.get_consultation(session, consultation_id, actor=actor)
    permissions.require_decider(session, actor, consultation)
    return list(
        session.scalars(
            select(ResponseSnippet)
            .where(ResponseSnippet.consultation_id == consultation.id)
            .order_by(ResponseSnippet.uses.desc(), ResponseSnippet.title)
        )
    )


def create_snippet(
    session: Session, consultation_id: int, *, actor: object, title: str, body: str
) -> ResponseSnippet:
    """A new response snippet (editors). Raises NotFound, NotPermitted, Invalid."""
    consultation = access.get_consultation(session, consultation_id, actor=actor)
    user = permissions.require_decider(session, actor, consultation)
    snippet = ResponseSnippet(
        consultation_id=consultation.id,
        title=checked(title, textrules.NAME, "title", _("Der Titel")),
        body=checked(body, textrules.COMMENT, "body", _("Der Text")),
        uses=0,
        created_by_id=user.id,
    )
    session.add(snippet)
    session.flush()
    return snippet


def delete_snippet(session: Session, snippet_id: int, *, actor: object) -> None:
    """Delete a response snippet (editors). Raises NotFound, NotPermitted."""
    snippet = session.get(ResponseSnippet, snippet_id) if is_id(snippet_id) else None
    if snippet is None:
        raise NotFound(_("Diesen Textbaustein gibt es nicht."))
    consultation = access.get_consultation(session, snippet.consultation_id, actor=actor)
    permissions.require_decider(session, actor, consultation)
    session.delete(snippet)
    session.flush()


def count_use(session: Session, consultation_id: int, snippet_id: int) -> None:
    """Count one use of a snippet of the consultation (a decision's response took it).
    Raises Invalid ``unknown_snippet`` for one that is not the consultation's."""
    snippet = session.get(ResponseSnippet, snippet_id) if is_id(snippet_id) else None
    if snippet is None or snippet.consultation_id != consultation_id:
        raise Invalid(
            _("Diesen Textbaustein gibt es in diesem Verfahren nicht."),
            code="unknown_snippet",
            fields={"snippet_id": _("Unbekannt.")},
        )
    snippet.uses += 1
