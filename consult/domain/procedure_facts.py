"""The facts a procedure report (Verfahrensbericht) tells, as plain frozen dataclasses:
gathered from the records by services.report_facts, written into German sentences by
:mod:`consult.domain.procedure_text`. Days are calendar days in Europe/Berlin; every
list is sorted by whoever fills it, so that the same records give the same text.

Plain Python: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class RevisionFacts:
    """A revision as the report names it: "Fassung 2 vom 22.11.2026"."""

    number: int
    #: The day it was published (None: a draft, not published yet).
    published_on: date | None


@dataclass(frozen=True)
class GroupFacts:
    """A working group invited to a round, with the organisations of its members."""

    name: str
    organisations: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeadlineChange:
    """An extension of a round's deadline (``reopening``: the round had ended and was
    opened again), with its reason."""

    made_on: date
    previous: date
    until: date
    reason: str
    reopening: bool = False


@dataclass(frozen=True)
class MunicipalExtension:
    """A later deadline granted to one municipality for its statement."""

    municipality: str
    made_on: date
    until: date
    reason: str


@dataclass(frozen=True)
class StatementFacts:
    """The municipalities' statements in a round."""

    #: How many municipalities were asked.
    invited: int
    #: Submitted statements (their current version) by position code.
    positions: tuple[tuple[str, int], ...] = ()
    #: The invited municipalities with no statement.
    missing: tuple[str, ...] = ()
    #: Municipalities whose (first) statement came in after their deadline, with the day.
    late: tuple[tuple[str, date], ...] = ()
    #: Municipalities that submitted more than one version.
    revised: int = 0
    #: Section remarks in the current versions.
    remarks: int = 0
    extensions: tuple[MunicipalExtension, ...] = ()

    @property
    def submitted(self) -> int:
        return sum(n for _, n in self.positions)


@dataclass(frozen=True)
class ProducedRevision:
    """A revision made from a round's revision, and how many of the round's accepted
    suggestions a merge applied in it."""

    revision: RevisionFacts
    based_on: int
    applied: int = 0


@dataclass(frozen=True)
class RoundFacts:
    """One round: its revision, period, audience, deadline changes, what came in and
    what became of it."""

    title: str
    revision: RevisionFacts
    opens_on: date
    #: The deadline before the first change (the round's own).
    first_deadline: date
    #: The day an editor closed it before its deadline (and it stayed closed).
    closed_early_on: date | None = None
    groups: tuple[GroupFacts, ...] = ()
    municipalities: bool = False
    changes: tuple[DeadlineChange, ...] = ()
    comments: int = 0
    suggestions: int = 0
    #: The organisations that wrote comments or suggestions.
    organisations: tuple[str, ...] = ()
    #: Authors without an organisation (counted, never named).
    persons: int = 0
    statements: StatementFacts | None = None
    #: Decisions by code (see DECISION_LABELS); items with none are ``undecided``.
    decisions: tuple[tuple[str, int], ...] = ()
    undecided: int = 0
    decisions_published_on: date | None = None
    responses_published_on: date | None = None
    produced: tuple[ProducedRevision, ...] = ()

    @property
    def items(self) -> int:
        """Everything decided on: comments, suggestions and statements' remarks."""
        remarks = self.statements.remarks if self.statements is not None else 0
        return self.comments + self.suggestions + remarks


@dataclass(frozen=True)
class AnnexFacts:
    """What the committee paper carries beside the report (see :func:`annex_titles`)."""

    #: The latest published revision (the draft the council receives).
    revision: RevisionFacts
    #: The number of the round's revision when it is not the latest (a synopsis of the two).
    synopsis_from: int | None = None
    round_title: str = ""
    #: Anything came in to decide on (a response table).
    response_table: bool = False
    #: The municipalities were asked (their statements as an annex).
    statements: bool = False


@dataclass(frozen=True)
class ReportFacts:
    """What the report tells: the consultation, its rounds up to the report's round (in
    order, the report's round last) and the annexes of the committee paper."""

    consultation: str
    rounds: tuple[RoundFacts, ...]
    annexes: AnnexFacts | None = None
