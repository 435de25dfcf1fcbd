"""The formal statements (Stellungnahmen) of the demo county's municipalities, told
through the services as the mayors, their staff and the editors would have lived it.

Round "1. Stufe: Stellungnahmen der Kommunen" (closed, on Fassung 1, in the weeks of the
working groups' round): five municipalities answered in time – Siegburg, Much (keine
Bedenken) and Troisdorf online, Königswinter by fax (a rejection on cost grounds),
Ruppichteroth by e-mail within the deadline extended for its council's meeting; the other
fourteen are overdue. The editors published these statements with the decisions.

Round "2. Stufe: Arbeitskreise und Kommunen" (open, Fassung 2): Siegburg's mayor submitted
with section remarks and then a second version (the editors decided one remark, not
published yet); Much's staff drafted a statement that waits for the mayor's release;
Troisdorf's mayor returned his staff's draft with a reason; Eitorf's letter is recorded by
the editors with its receipt number and scan; Neunkirchen-Seelscheid has a later deadline
for its council; the others are pending.

Nobody is e-mailed (``notify=False``). Everything is dated relative to now.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.demo_feedback import SNIPPETS, section_id
from consult.demo_letter import record_letter
from consult.models import (
    Consultation,
    Feedback,
    Organisation,
    Revision,
    Round,
    StatementVersionRemark,
    User,
)
from consult.services import (
    decisions,
    revisions,
    rounds,
    statement_board,
    statement_intake,
    statements,
)
from consult.services.statement_text import RemarkInput

BERLIN = ZoneInfo("Europe/Berlin")
#: The title of the municipalities' round on Fassung 1.
FIRST_STAGE = "1. Stufe: Stellungnahmen der Kommunen"


def at_six_pm(moment: datetime) -> datetime:
    """18:00 (Berlin) on the day of ``moment`` in Berlin, in UTC: a deadline as people set one."""
    local = moment.astimezone(BERLIN)
    return local.replace(hour=18, minute=0, second=0, microsecond=0).astimezone(UTC)


def _at(now: datetime, days: int, hour: int, minute: int = 0) -> datetime:
    """``hour``:``minute`` (Berlin) on the day ``days`` before ``now``, in UTC: when people
    at an office do things."""
    local = (now - timedelta(days=days)).astimezone(BERLIN)
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0).astimezone(UTC)


def _day(moment: datetime) -> str:
    return moment.astimezone(BERLIN).strftime("%d.%m.%Y")


def _receipt(moment: datetime, number: int) -> str:
    """An Eingangsnummer of the integration centre's mail register."""
    return f"KI-{moment.astimezone(BERLIN).year}/{number:04d}"


def _remark(
    session: Session, revision: Revision, key: str, body: str, quote: str = ""
) -> RemarkInput:
    """A remark on section ``key`` of the revision: on ``quote`` in it, or on the whole."""
    section = section_id(session, revision.id, key)
    if not quote:
        return RemarkInput(section, body)
    text = next(p for p in revisions.outline(session, revision).placements if p.key == key)
    start = text.version.body.index(quote)
    return RemarkInput(section, body, {"start": start, "end": start + len(quote), "quote": quote})


def load_statements(
    session: Session,
    consultation: Consultation,
    first: Revision,
    second_round: Round,
    users: dict[str, User],
    snippets: dict[str, int],
    now: datetime,
) -> None:
    """Tell the statements' story (above); called by consult.demo_story."""
    towns = {
        o.name: o.id
        for o in session.scalars(select(Organisation).where(Organisation.kind == "municipality"))
    }
    _first_stage(session, consultation, first, users, towns, now)
    revision = session.get(Revision, second_round.revision_id)
    assert revision is not None
    _second_stage(session, second_round, revision, users, towns, snippets, now)


def _first_stage(
    session: Session,
    consultation: Consultation,
    first: Revision,
    users: dict[str, User],
    towns: dict[str, int],
    now: datetime,
) -> None:
    editor = users["redaktion@consult.example"]
    opened = now - timedelta(days=60)
    round_ = rounds.create_round(
        session,
        consultation.id,
        actor=editor,
        revision_id=first.id,
        title=FIRST_STAGE,
        opens_at=opened,
        closes_at=at_six_pm(now - timedelta(days=30)),
        municipalities=True,
        description="Die Bürgermeisterinnen und Bürgermeister nehmen für ihre Stadt oder "
        "Gemeinde förmlich Stellung zum Entwurf, während die Arbeitskreise ihn kommentieren.",
        now=opened,
        notify=False,
    )
    statements.submit(
        session,
        round_.id,
        actor=users["buergermeister.siegburg@consult.example"],
        organisation_id=towns["Siegburg"],
        position="consent_with_remarks",
        body="Die Kreisstadt Siegburg begrüßt, dass der Kreis sein Integrationskonzept "
        "fortschreibt, und erteilt dem Entwurf ihr Einvernehmen.\n\n"
        "Die Stadt hat mit ihrer Integrationsagentur und dem Integrationsrat eigene, gut "
        "eingeführte Angebote. Die Maßnahmen des Kreises sollen sie ergänzen, nicht doppeln; "
        "wir bitten, dass die Lenkungsgruppe das bei jeder neuen Maßnahme prüft.\n\n"
        "Zusätzliche Aufgaben kann die Stadt nur übernehmen, wenn ihre Finanzierung "
        "gesichert ist.",
        now=_at(now, 41, 11, 20),
        notify=False,
    )
    statements.submit_no_objections(
        session,
        round_.id,
        actor=users["buergermeisterin.much@consult.example"],
        organisation_id=towns["Much"],
        now=_at(now, 37, 9, 5),
        notify=False,
    )
    statements.submit(
        session,
        round_.id,
        actor=users["buergermeister.troisdorf@consult.example"],
        organisation_id=towns["Troisdorf"],
        position="consent",
        body="Die Stadt Troisdorf erteilt dem Entwurf ihr Einvernehmen. Ihr Integrationsrat "
        "hat ihn beraten und begrüßt besonders, dass die Migrantenorganisationen in der "
        "Lenkungsgruppe mitwirken sollen.",
        now=_at(now, 33, 16, 45),
        notify=False,
    )
    faxed = _at(now, 32, 14, 12)
    statement_intake.record_paper(
        session,
        round_.id,
        actor=editor,
        organisation_id=towns["Königswinter"],
        position="rejection",
        channel="fax",
        received_at=faxed,
        receipt_number=_receipt(faxed, 311),
        signatory="Dr. Heike Stein",
        signatory_function="Bürgermeisterin",
        body="Die Stadt Königswinter erkennt die Bedeutung der Integrationsarbeit ausdrücklich "
        "an und trägt die fachlichen Ziele des Entwurfs weitgehend mit. Dem Konzept in der "
        "vorliegenden Form kann sie dennoch nicht zustimmen.\n\n"
        "Der Entwurf beschreibt neue Angebote – Lotsinnen und Lotsen am Übergang in den "
        "Beruf, einen Pool von Sprachmittlerinnen und Sprachmittlern, eine Lenkungsgruppe –, "
        "sagt aber nicht, was sie kosten und wer sie bezahlt. Die Zusicherung in Abschnitt 5 "
        "genügt uns nicht, solange die Kosten über die Kreisumlage doch bei den Städten und "
        "Gemeinden ankommen.\n\n"
        "Wir bitten, die finanziellen Folgen für die Städte und Gemeinden darzulegen, bevor "
        "der Kreistag beschließt.",
        now=_at(now, 31, 9, 30),
        notify=False,
    )
    council = _at(now, 21, 19)
    statement_board.extend(
        session,
        round_.id,
        actor=editor,
        organisation_id=towns["Ruppichteroth"],
        closes_at=at_six_pm(now - timedelta(days=19)),
        reason=f"Der Gemeinderat berät den Entwurf erst in seiner Sitzung am {_day(council)}; "
        "die Gemeinde hat um eine Frist bis zwei Tage danach gebeten.",
        now=_at(now, 34, 10, 15),
        notify=False,
    )
    mailed = _at(now, 20, 9, 40)
    statement_intake.record_paper(
        session,
        round_.id,
        actor=editor,
        organisation_id=towns["Ruppichteroth"],
        position="consent_with_remarks",
        channel="email",
        received_at=mailed,
        receipt_number=_receipt(mailed, 352),
        signatory="Jens Albrecht",
        signatory_function="Bürgermeister",
        body=f"Der Gemeinderat hat den Entwurf in seiner Sitzung am {_day(council)} beraten "
        "und ihm einstimmig zugestimmt.\n\n"
        "Er bittet, die ländlichen Gemeinden im Osten des Kreises stärker in den Blick zu "
        "nehmen: Sprachkurse, Beratung und Angebote für Eltern müssen auch ohne Auto "
        "erreichbar sein, wo nötig als mobile oder digitale Angebote in den Ortsteilen.",
        now=_at(now, 19, 8, 50),
        notify=False,
    )
    statement_board.publish(session, round_.id, actor=editor, now=now - timedelta(days=14))


def _second_stage(
    session: Session,
    round_: Round,
    revision: Revision,
    users: dict[str, User],
    towns: dict[str, int],
    snippets: dict[str, int],
    now: datetime,
) -> None:
    editor = users["redaktion@consult.example"]
    _siegburg(session, round_, revision, users, towns, snippets, now)
    statements.save_draft(
        session,
        round_.id,
        actor=users["verwaltung.much@consult.example"],
        organisation_id=towns["Much"],
        position="consent_with_remarks",
        body="Die Gemeinde Much stimmt der Fassung 2 zu und bittet, ihre Anmerkung zu "
        "Abschnitt 3.1.2 zu berücksichtigen.",
        signatory="Petra Lenz",
        signatory_function="Bürgermeisterin",
        remarks=[
            _remark(
                session,
                revision,
                "3.1.2",
                "Aus vielen Ortsteilen der Gemeinde fährt morgens kein Bus zu den "
                "Sprachförderklassen. Damit die sechs Wochen auch bei uns gelten, muss der "
                "Kreis die Beförderung der Kinder übernehmen.",
                quote="innerhalb von sechs Wochen einen Schulplatz",
            )
        ],
        now=_at(now, 1, 15, 40),
    )
    troisdorf = statements.save_draft(
        session,
        round_.id,
        actor=users["verwaltung.troisdorf@consult.example"],
        organisation_id=towns["Troisdorf"],
        position="consent",
        body="Die Stadt Troisdorf erteilt der Fassung 2 ihr Einvernehmen.",
        signatory="Markus Feldmann",
        signatory_function="Bürgermeister",
        now=_at(now, 2, 10, 25),
    )
    statements.return_draft(
        session,
        troisdorf.id,
        actor=users["buergermeister.troisdorf@consult.example"],
        reason="Bitte noch nicht abgeben: Der Integrationsrat berät die Fassung 2 am "
        f"{_day(now + timedelta(days=1))}. Seine Hinweise, vor allem zu Räumen für die Vereine "
        "(Abschnitt 3.5), gehören in unsere Stellungnahme. Bitte danach ergänzen und mir "
        "wieder vorlegen.",
        now=_at(now, 1, 8, 55),
        notify=False,
    )
    received = _at(now, 1, 9, 0)
    record_letter(
        session,
        round_.id,
        editor=editor,
        organisation_id=towns["Eitorf"],
        written_on=_day(now - timedelta(days=2)),
        received=received,
        recorded=_at(now, 1, 11, 35),
        receipt_number=_receipt(received, 417),
    )
    statement_board.extend(
        session,
        round_.id,
        actor=editor,
        organisation_id=towns["Neunkirchen-Seelscheid"],
        closes_at=at_six_pm(now + timedelta(days=16)),
        reason="Der Gemeinderat berät die Fassung 2 erst in seiner Sitzung am "
        f"{_day(now + timedelta(days=14))}; die Gemeinde hat schriftlich um eine Frist bis "
        "zwei Tage danach gebeten.",
        now=_at(now, 1, 13, 30),
        notify=False,
    )


def _siegburg(
    session: Session,
    round_: Round,
    revision: Revision,
    users: dict[str, User],
    towns: dict[str, int],
    snippets: dict[str, int],
    now: datetime,
) -> None:
    """Two versions: the second after the town's committee added a remark and sharpened
    the others. The editors have noted one remark (not published yet)."""
    mayor = users["buergermeister.siegburg@consult.example"]
    school = "innerhalb von sechs Wochen einen Schulplatz"
    first_at, second_at = _at(now, 2, 12, 5), _at(now, 1, 17, 20)
    intro = (
        "Die Kreisstadt Siegburg erteilt der Fassung 2 ihr Einvernehmen. Unsere Hinweise zur "
        "ersten Fassung sind weitgehend aufgenommen; zu {n} Abschnitten haben wir Anmerkungen."
    )
    statements.submit(
        session,
        round_.id,
        actor=mayor,
        organisation_id=towns["Siegburg"],
        position="consent_with_remarks",
        body=intro.format(n="zwei"),
        remarks=[
            _remark(
                session,
                revision,
                "3.1.2",
                "Das Ziel teilen wir. In Siegburg fehlen derzeit Räume für zwei weitere "
                "Sprachförderklassen; ohne sie ist die Frist nicht zu halten.",
                quote=school,
            ),
            _remark(
                session,
                revision,
                "5",
                "Zusätzliche Personalkosten, etwa für Lotsinnen und Lotsen, kann die Stadt "
                "nur übernehmen, wenn das Land sie erstattet.",
            ),
        ],
        now=first_at,
        notify=False,
    )
    pool = _remark(
        session,
        revision,
        "3.3",
        "Die Stadt möchte den Pool auch für ihr Sozialamt und die städtischen Kitas nutzen.",
        quote="Pool qualifizierter Sprachmittlerinnen und Sprachmittler",
    )
    version = statements.submit(
        session,
        round_.id,
        actor=mayor,
        organisation_id=towns["Siegburg"],
        position="consent_with_remarks",
        body=intro.format(n="drei")
        + f"\n\nDiese Stellungnahme ersetzt die vom {_day(first_at)}: Der Haupt- und "
        f"Finanzausschuss der Stadt hat sie am {_day(second_at)} ergänzt.",
        remarks=[
            _remark(
                session,
                revision,
                "3.1.2",
                "Das Ziel teilen wir. In Siegburg fehlen derzeit Räume für zwei weitere "
                "Sprachförderklassen. Wir bitten den Kreis, mit dem Schulamt und der Stadt bis "
                "zum Ende des Schuljahres einen Zeitplan für zusätzliche Klassen zu vereinbaren.",
                quote=school,
            ),
            pool,
            _remark(
                session,
                revision,
                "5",
                "Zusätzliche Personal- und Sachkosten, etwa für Lotsinnen und Lotsen, kann die "
                "Stadt nur übernehmen, wenn Land oder Kreis sie erstatten. Wir bitten, das in "
                "Abschnitt 5 ausdrücklich festzuhalten.",
            ),
        ],
        now=second_at,
        notify=False,
    )
    noted = session.scalar(
        select(Feedback.id)
        .join(StatementVersionRemark, StatementVersionRemark.feedback_id == Feedback.id)
        .where(
            StatementVersionRemark.version_id == version.id,
            Feedback.section_id == pool.section_id,
        )
    )
    assert noted is not None
    decisions.decide(
        session,
        noted,
        actor=users["redaktion@consult.example"],
        decision="noted",
        response=f"{SNIPPETS['plan'][1]} Der Pool steht auch den Sozialämtern und Kitas der "
        "Städte und Gemeinden offen.",
        snippet_id=snippets["plan"],
        now=_at(now, 1, 18, 10),
    )
