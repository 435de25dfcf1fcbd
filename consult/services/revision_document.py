"""A revision as the exports write it: its title-page facts and its sections in reading
order, each with what the printed forms need (heading level, HTML anchor, paragraphs and
lists). Used by :mod:`consult.services.revision_exports` and its DOCX writer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from consult import dates
from consult.domain.outline import Block, group_blocks
from consult.domain.outline_markdown import DocSection, heading_level
from consult.models import Revision, RevisionStatus
from consult.services import revisions as revision_reads


def status_labels() -> dict[str, str]:
    """A revision's status as the pages name it (in the reader's language)."""
    return {
        RevisionStatus.DRAFT.value: _("Entwurf"),
        RevisionStatus.PUBLISHED.value: _("veröffentlicht"),
        RevisionStatus.SUPERSEDED.value: _("abgelöst"),
    }


@dataclass(frozen=True)
class PrintedSection:
    """A section with what the printed forms need besides the text."""

    section: DocSection
    #: The HTML id of its heading ("s-3"), for the table of contents.
    anchor: str

    @property
    def level(self) -> int:
        return heading_level(self.section.depth)

    @property
    def groups(self) -> list[tuple[str, list[Block]]]:
        return group_blocks(self.section.body)


@dataclass(frozen=True)
class RevisionDocument:
    """A revision ready to be written as a file."""

    consultation_title: str
    number: int
    status: str
    #: The day it was published (None for a draft).
    published_at: datetime | None
    sections: list[PrintedSection]

    @property
    def status_label(self) -> str:
        return status_labels().get(self.status, self.status)

    @property
    def revision_label(self) -> str:
        """The revision's name: "Fassung 2"."""
        return str(_("Fassung %(n)s", n=self.number))

    @property
    def dated_label(self) -> str:
        """The title page line: "Fassung 2 vom 24.12.2026" ("Fassung 3 (Entwurf)" for a draft)."""
        if self.published_at is None:
            return str(_("Fassung %(n)s (Entwurf)", n=self.number))
        return str(_("Fassung %(n)s vom %(d)s", n=self.number, d=dates.day(self.published_at)))

    @property
    def doc_sections(self) -> list[DocSection]:
        return [printed.section for printed in self.sections]


def document(session: Session, revision: Revision) -> RevisionDocument:
    """The revision's sections in reading order (no permission check: the caller loaded
    the revision through access.get_revision). Raises nothing."""
    placements = revision_reads.outline(session, revision).placements
    sections = [
        PrintedSection(
            DocSection(p.key, p.version.title, p.version.body, p.depth), anchor=f"s-{p.position}"
        )
        for p in placements
    ]
    published = None if revision.is_draft else revision.published_at
    return RevisionDocument(
        consultation_title=revision.consultation.title,
        number=revision.number,
        status=revision.status,
        published_at=published,
        sections=sections,
    )
