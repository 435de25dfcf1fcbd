"""A corpus of bad input through every form of the web UI (issue 9).

Every POST route of the app (outside the API and static files) is either in FORMS, with
the fields it reads, or in WITHOUT_FIELDS: a form added later fails
``test_every_form_is_covered`` until it is added here. Each form is sent by someone allowed
to send it, with valid values (a control: accepted) but for one field:

- each text field (every string, text area, e-mail, password and date field of its form
  class, and the text fields a view reads itself): NUL, a C0 and a C1 control; names, titles,
  keys and e-mail addresses (fields under a LINE rule of consult.domain.textrules) also a
  zero-width space and a right-to-left override;
- each number field (ids in selects, hidden offsets and ids, ``position`` as
  ``after:<id>``, a sentence as ``<start>:<end>``): ``²``, ``٣``, ``abc``, ``-1``, a
  number beyond 64 bits, and a real id written in Arabic-Indic digits (``int()`` reads
  it as the id; the forms must not).

Each form is sent by whom it is for: the admin (an editor of the consultation), or the
seeded municipality's members (its mayor, a signatory, and its clerk, who drafts); a
field list of sub-forms (the remark rows of a statement) has its first row's fields sent
the same bad values.

Each answer: never a 5xx; the error at the field (a visible field of a 422 page), a 4xx
page, or a redirect to a page that shows the error; and nothing written. GET pages with
numbers in their query strings get the same numbers: never a 5xx.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session
from wtforms import (
    DateTimeField,
    FieldList,
    FormField,
    HiddenField,
    SelectFieldBase,
    StringField,
)

from consult.db import utcnow
from consult.domain.textrules import Shape, TextRule
from consult.extensions import limiter
from consult.models import Organisation, User
from consult.services import accounts, statement_files, statements
from consult.services import consultations as consultation_service
from consult.services import feedback as feedback_service
from consult.services.rounds import BERLIN
from consult.web import decision_forms, forms
from consult.web import privacy as privacy_web
from consult.web import report as report_web
from consult.web.statement_board_forms import ExtensionForm, PaperForm, SignatoryForm
from consult.web.statement_forms import ReleaseForm, ReturnForm, StatementForm
from tests import support
from tests.api.test_bad_input import close_a_round
from tests.api.test_fuzz import Seeded, seeded  # noqa: F401  (the seeded consultation)
from tests.conftest import PASSWORD, CSRFClient
from tests.services.statement_world import minimal_pdf

# One app per module on each test's own transaction, one app context per request.
module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)

TEXT_VALUES = {
    "nul": "Probe\x00Text",
    "c0-escape": "Probe\x1b[31mText",
    "c1-nel": "Probe\x85Text",
}
LINE_VALUES = {
    "zero-width-space": "Caritas\u200b Probe",
    "rtl-override": "\u202eevil",
}
NUMBER_VALUES = {
    "superscript": "²",
    "arabic-indic": "٣",
    "letters": "abc",
    "negative": "-1",
    "beyond-64-bits": "99999999999999999999",
}
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
NEW_PASSWORD = "Lange-Neue-Losung-2030"
#: The start of section 1 of the seeded revision (its body begins so).
QUOTE = "Der Kreis"


@dataclass(frozen=True)
class Person:
    """A user's values (no ORM object: reading one would begin a transaction of the test's
    session in the middle of the requests' savepoints)."""

    id: int
    email: str
    organisation_id: int | None


@dataclass
class World:
    """The seeded consultation (tests/api/test_fuzz.py) and what the forms need besides."""

    seeded: Seeded
    admin: Person
    participant: Person
    #: The seeded municipality's mayor (a signatory) and its clerk (drafting staff).
    mayor: Person
    clerk: Person
    reset_token: str
    #: A closed round (to reopen) and a comment of the admin's, withdrawn (to restore).
    closed_round: int
    withdrawn: int
    #: The revision of the municipality's draft (the clerk's, with a PDF attached).
    draft_revision: int
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)

    def id(self, name: str, index: int = 0) -> int:
        return self.seeded.ids[name][index]

    def person(self, name: str) -> Person:
        found = getattr(self, name)
        assert isinstance(found, Person), name
        return found

    @property
    def statement_round(self) -> int:
        """The open round that asks the municipalities (on the published revision)."""
        return self.id("round_id", 1)

    @property
    def town(self) -> int:
        """The municipality (Siegburg), with a statement by letter and the clerk's draft."""
        return self.id("organisation_id", 0)

    @property
    def statement(self) -> int:
        return self.id("statement_id", 0)

    @property
    def published(self) -> int:
        return self.id("revision_id", 0)

    @property
    def draft(self) -> int:
        return self.id("revision_id", 1)


@dataclass(frozen=True)
class Form:
    """A POST route and how to send it: its URL, valid values, the form class it
    validates with (whose text fields are sent bad values) and its number fields."""

    endpoint: str
    url: Callable[[World], str]
    data: Callable[[World], dict[str, Any]]
    form: type[FlaskForm] | None = None
    prefix: str = ""
    #: Number fields: name -> how its value is written ("{}": the number).
    numbers: dict[str, str] = field(default_factory=dict)
    #: Text fields the view reads besides its form's (checked by the service).
    texts: tuple[str, ...] = ()
    #: Values a field needs besides the valid ones to be read at all.
    needs: dict[str, dict[str, Any]] = field(default_factory=dict)
    anonymous: bool = False
    #: Who sends it: a Person of the World by its name there.
    sender: str = "admin"
    #: Tells two entries of one endpoint apart (the test's id).
    variant: str = ""
    #: The id of a field's input on the page ({name}: the field's name), if not its name.
    field_ids: Callable[[World], dict[str, str]] | None = None

    def field_id(self, w: World, name: str) -> str:
        return (self.field_ids(w) if self.field_ids else {}).get(name, name)

    @property
    def name(self) -> str:
        return f"{self.endpoint}[{self.variant}]" if self.variant else self.endpoint

    def fields(self) -> dict[str, Any]:
        """The form class's fields (unbound, its base classes' included) by name; of a
        list of sub-forms, the first entry's fields (``remarks-0-body``)."""
        return _unbound_fields(self.form) if self.form is not None else {}

    def text_fields(self) -> dict[str, TextRule | None]:
        """Every text field: name (with the form's prefix) -> its text rule, if any."""
        found: dict[str, TextRule | None] = dict.fromkeys(self.texts)
        for name, unbound in self.fields().items():
            field_class = unbound.field_class
            typed = issubclass(field_class, (StringField, DateTimeField))
            if not typed or issubclass(field_class, HiddenField):
                continue
            validators = unbound.kwargs.get("validators") or []
            rules = [v.rule for v in validators if isinstance(v, forms.Rule)]
            key = f"{self.prefix}-{name}" if self.prefix else name
            found[key] = rules[0] if rules else None
        return found


def _unbound_fields(form: type[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for klass in reversed(form.__mro__):
        for name, value in vars(klass).items():
            field_class = getattr(value, "field_class", None)
            if not isinstance(field_class, type):
                continue
            entry = value.args[0] if issubclass(field_class, FieldList) and value.args else None
            if entry is not None and issubclass(entry.field_class, FormField):
                for sub, unbound in _unbound_fields(entry.args[0]).items():
                    found[f"{name}-0-{sub}"] = unbound
            else:
                found[name] = value
    return found


def _section(w: World, index: int = 0) -> int:
    return w.id("section_id", index)


FORMS = [
    Form(
        "admin.organisations",
        lambda w: "/admin/organisations",
        lambda w: {"name": "Neue Organisation", "kind": "welfare"},
        forms.OrganisationForm,
    ),
    Form(
        "admin.edit_organisation",
        lambda w: f"/admin/organisations/{w.participant.organisation_id}",
        lambda w: {"name": "Caritas Siegtal-Nord", "kind": "welfare", "is_active": "y"},
        forms.OrganisationForm,
    ),
    Form(
        "admin.new_user",
        lambda w: "/admin/users/new",
        lambda w: {
            "name": "Nora Neu",
            "email": "nora.neu@example.org",
            "organisation_id": str(w.participant.organisation_id),
        },
        forms.UserForm,
        numbers={"organisation_id": "{}"},
    ),
    Form(
        "admin.edit_user",
        lambda w: f"/admin/users/{w.participant.id}",
        lambda w: {
            "name": "Alice Arendt-Neu",
            "email": w.participant.email,
            "organisation_id": str(w.participant.organisation_id),
            "is_active": "y",
        },
        forms.UserForm,
        numbers={"organisation_id": "{}"},
    ),
    Form(
        "consultations.create",
        lambda w: "/consultations/new",
        lambda w: {"title": "Neues Verfahren", "description": "Worum es geht."},
        forms.ConsultationForm,
    ),
    Form(
        "consultations.edit",
        lambda w: f"/consultations/{w.id('consultation_id')}/edit",
        lambda w: {"title": "Integrationskonzept", "description": "Worum es geht."},
        forms.ConsultationForm,
    ),
    Form(
        "consultations.import_draft",
        lambda w: f"/consultations/{w.id('consultation_id')}/import",
        lambda w: {"source": "markdown", "text": "# 1 Ziele\n\nText.", "note": "Neu"},
        forms.ImportForm,
    ),
    Form(
        "consultations.members",
        lambda w: f"/consultations/{w.id('consultation_id')}/members",
        lambda w: {"user_id": str(w.participant.id), "role": "observer"},
        forms.MemberForm,
        numbers={"user_id": "{}"},
    ),
    Form(
        # The clerk becomes a signatory (``signatory`` is a choice of "yes" and "no").
        "consultations.set_signatory",
        lambda w: f"/consultations/{w.id('consultation_id')}/members/{w.clerk.id}/signatory",
        lambda w: {"signatory": "yes", "signatory_function": "Erste Beigeordnete"},
        SignatoryForm,
        # (the members page has one such form per municipality member)
        field_ids=lambda w: {"signatory_function": f"sig-{w.clerk.id}-function"},
    ),
    Form(
        "rounds.rounds",
        lambda w: f"/consultations/{w.id('consultation_id')}/rounds",
        lambda w: {
            "title": "Zweite Runde",
            "revision_id": str(w.published),
            "opens_at": "2030-01-01T09:00",
            "closes_at": "2030-02-01T18:00",
            "working_group_ids": [str(w.id("group_id"))],
            "visibility": "round",
            "description": "Hinweise",
        },
        forms.RoundForm,
        numbers={"revision_id": "{}", "working_group_ids": "{}"},
    ),
    Form(
        "rounds.working_groups",
        lambda w: f"/consultations/{w.id('consultation_id')}/working-groups",
        lambda w: {
            "name": "AK Neu",
            "description": "Worum er sich kümmert.",
            "section_ids": [str(_section(w))],
            "member_ids": [str(w.admin.id)],
        },
        forms.WorkingGroupForm,
        numbers={"section_ids": "{}", "member_ids": "{}"},
    ),
    Form(
        "rounds.edit_working_group",
        lambda w: f"/working-groups/{w.id('group_id')}/edit",
        lambda w: {
            "name": "AK Bildung",
            "description": "",
            "section_ids": [str(_section(w, 1))],
            "member_ids": [str(w.admin.id)],
        },
        forms.WorkingGroupForm,
        numbers={"section_ids": "{}", "member_ids": "{}"},
    ),
    Form(
        "rounds.extend",
        lambda w: f"/rounds/{w.id('round_id')}/extend",
        lambda w: {"closes_at": "2030-03-01T18:00", "reason": "Mehr Zeit für die Kommunen."},
        forms.ExtendRoundForm,
    ),
    Form(
        "rounds.reopen",
        lambda w: f"/rounds/{w.closed_round}/reopen",
        lambda w: {"closes_at": "2030-03-01T18:00", "reason": "Versehentlich geschlossen."},
        forms.ReopenRoundForm,
    ),
    Form(
        "feedback.give",
        lambda w: f"/revisions/{w.published}/sections/{_section(w)}/feedback",
        lambda w: {
            "kind": "comment",
            "body": "Bitte konkreter fassen.",
            "sentence": "",
            "quote": "",
            "replacement": "",
            "reason": "",
            "start": "",
            "end": "",
            "selected": "",
        },
        forms.FeedbackForm,
        numbers={"start": "{}", "end": "{}", "sentence": "{}:9"},
        texts=("selected",),
        needs={
            name: {"start": "0", "end": str(len(QUOTE)), "selected": QUOTE}
            for name in ("start", "end", "selected")
        },
    ),
    Form(
        "feedback.reply",
        lambda w: f"/feedback/{w.id('comment_id', 0)}/reply",
        lambda w: {"body": "Danke.", "revision_id": str(w.published)},
        forms.ReplyForm,
        numbers={"revision_id": "{}"},
    ),
    Form(
        "feedback.resolve",
        lambda w: f"/feedback/{w.id('comment_id', 1)}/resolve",
        lambda w: {"revision_id": str(w.published)},
        numbers={"revision_id": "{}"},
    ),
    Form(
        "feedback.withdraw",
        lambda w: f"/feedback/{w.id('comment_id', 1)}/withdraw",
        lambda w: {"revision_id": str(w.published), "confirmed": "1"},
        numbers={"revision_id": "{}"},
    ),
    Form(
        "feedback.restore",
        lambda w: f"/feedback/{w.withdrawn}/restore",
        lambda w: {"revision_id": str(w.published)},
        numbers={"revision_id": "{}"},
    ),
    Form(
        "feedback.edit",
        lambda w: f"/feedback/{w.id('suggestion_id', 1)}/edit",
        lambda w: {"body": "Früher ist besser.", "replacement": "sehr früh und oft"},
        forms.EditFeedbackForm,
    ),
    Form(
        "inbox.overview",
        lambda w: f"/rounds/{w.id('round_id')}/feedback",
        lambda w: {
            "ids": [str(w.id("comment_id", 0))],
            "decision": "noted",
            "response": "Danke für den Hinweis.",
            "snippet": "",
            "snippet_id": "",
            "assignee_id": "",
            "action": "decide",
        },
        decision_forms.BulkForm,
        numbers={"ids": "{}", "snippet": "{}", "snippet_id": "{}", "assignee_id": "{}"},
    ),
    Form(
        "inbox.snippets",
        lambda w: f"/consultations/{w.id('consultation_id')}/snippets",
        lambda w: {"title": "Zuständigkeit Land", "body": "Dafür ist das Land zuständig."},
        decision_forms.SnippetForm,
    ),
    Form(
        "decisions.decide",
        lambda w: f"/feedback/{w.id('suggestion_id', 0)}/decision",
        lambda w: {
            "decision": "accept_modified",
            "replacement": "acht Wochen",
            "response": "Etwas länger.",
            "snippet": "",
            "snippet_id": "",
        },
        decision_forms.DecisionForm,
        numbers={"snippet": "{}", "snippet_id": "{}"},
    ),
    Form(
        # Erasing one's own account: the password is compared, never stored.
        "privacy.erase_me",
        lambda w: "/profile/erasure",
        lambda w: {"current_password": PASSWORD, "confirmed": "1"},
        privacy_web.ErasureForm,
        sender="participant",
    ),
    Form(
        "report.save",
        lambda w: f"/rounds/{w.id('round_id')}/report",
        lambda w: {"body": "Die Beteiligungsrunde fand vom 1. bis zum 30. Juni statt."},
        report_web.ReportForm,
        # not a number but a version ("generated" or a digest): anything else is stale
        numbers={"base_version": "{}"},
    ),
    Form(
        "decisions.assign",
        lambda w: f"/feedback/{w.id('comment_id', 0)}/assignee",
        lambda w: {"assignee_id": str(w.admin.id)},
        decision_forms.AssignForm,
        numbers={"assignee_id": "{}"},
    ),
    Form(
        "revisions.edit_section",
        lambda w: f"/revisions/{w.draft}/sections/{_section(w)}/edit",
        lambda w: {
            "key": "1",
            "title": "Ziele",
            "body": "Der Kreis Siegtal legt sein Integrationskonzept vor.",
            "base_version_id": str(w.id("base_version_id")),
        },
        forms.SectionForm,
        numbers={"base_version_id": "{}"},
    ),
    Form(
        "revisions.add_section",
        lambda w: f"/revisions/{w.draft}/sections",
        lambda w: {"key": "4", "title": "Wohnen", "position": f"after:{_section(w)}"},
        forms.NewSectionForm,
        numbers={"position": "after:{}"},
    ),
    Form(
        "revisions.update_note",
        lambda w: f"/revisions/{w.draft}/note",
        lambda w: {"note": "Dritte Fassung"},
        forms.NoteForm,
    ),
    Form(
        # The merge page, previewing (with a section open for editing). Its text areas
        # (``body-<section id>``) are sent bad text in tests/web/test_merge_pages.py.
        "merge.preview",
        lambda w: f"/revisions/{w.published}/merge",
        lambda w: {"note": "Einarbeitung der Runde", "open": str(_section(w))},
        forms.MergeForm,
        numbers={"open": "{}", "close": "{}"},
    ),
    Form(
        "revisions.move_section",
        lambda w: f"/revisions/{w.draft}/sections/{_section(w, 1)}/move",
        lambda w: {"direction": "up"},
        texts=("direction",),
    ),
    Form(
        "profile.update",
        lambda w: "/profile/",
        lambda w: {"name": "Ada Admin-Neu", "locale": "", "notify_replies": "y"},
        forms.ProfileForm,
    ),
    Form(
        "profile.change_password",
        lambda w: "/profile/password",
        lambda w: {
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
        forms.ChangePasswordForm,
    ),
    Form(
        "profile.create_token",
        lambda w: "/profile/tokens",
        lambda w: {"token-name": "Ratsinformationssystem"},
        forms.TokenForm,
        prefix="token",
    ),
    # --- statements (issue 12): the municipality's page, sent by its members ---
    Form(
        "statements.round_statement",
        lambda w: f"/rounds/{w.statement_round}/statement",
        lambda w: _statement_data(w, action="draft"),
        StatementForm,
        numbers={"draft_revision": "{}", "remarks-0-section_id": "{}"},
        sender="clerk",
        variant="draft",
    ),
    Form(
        "statements.round_statement",
        lambda w: f"/rounds/{w.statement_round}/statement",
        lambda w: _statement_data(
            w, action="submit", signatory="Stefan Roth", signatory_function="Bürgermeister"
        ),
        StatementForm,
        numbers={"draft_revision": "{}", "remarks-0-section_id": "{}"},
        sender="mayor",
        variant="submit",
    ),
    Form(
        "statements.release",
        lambda w: f"/statements/{w.statement}/release",
        lambda w: {"draft_revision": str(w.draft_revision)},
        ReleaseForm,
        numbers={"draft_revision": "{}"},
        sender="mayor",
    ),
    Form(
        "statements.return_draft",
        lambda w: f"/statements/{w.statement}/return",
        lambda w: {
            "reason": "Bitte die Kosten für die Stadt nennen.",
            "draft_revision": str(w.draft_revision),
        },
        ReturnForm,
        numbers={"draft_revision": "{}"},
        sender="mayor",
    ),
    # --- statements: the editors' board ---
    Form(
        "statement_board.extend",
        lambda w: f"/rounds/{w.statement_round}/statements/extensions",
        lambda w: {
            "organisation_id": str(w.town),
            "closes_at": _berlin(utcnow() + timedelta(days=30)),
            "reason": "Der Rat berät erst in seiner nächsten Sitzung.",
        },
        ExtensionForm,
        numbers={"organisation_id": "{}"},
    ),
    Form(
        # Without the scan (a file: its checks are in tests/web/test_statement_board_pages.py
        # and tests/services); every other field is sent bad values.
        "statement_paper.record",
        lambda w: f"/rounds/{w.statement_round}/statements/paper",
        lambda w: {
            "organisation_id": str(w.town),
            "channel": "letter",
            "received_at": _berlin(utcnow() - timedelta(hours=1)),
            "receipt_number": "E-2026-0815",
            "position": "rejection",
            "body": "Die Stadt lehnt den Entwurf aus Kostengründen ab.",
            "signatory": "Stefan Roth",
            "signatory_function": "Bürgermeister",
            "remarks-0-section_id": str(_section(w, 1)),
            "remarks-0-body": "Die Sprachkurse kann die Stadt nicht bezahlen.",
        },
        PaperForm,
        numbers={"organisation_id": "{}", "remarks-0-section_id": "{}"},
    ),
    Form(
        "auth.login",
        lambda w: "/login",
        lambda w: {"email": w.admin.email, "password": PASSWORD},
        forms.LoginForm,
        anonymous=True,
    ),
    Form(
        "auth.forgot_password",
        lambda w: "/password/forgot",
        lambda w: {"email": w.admin.email},
        forms.ForgotPasswordForm,
        anonymous=True,
    ),
    Form(
        "auth.redeem",
        lambda w: f"/password/set/{w.reset_token}",
        lambda w: {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        forms.SetPasswordForm,
        anonymous=True,
    ),
]


def _statement_data(w: World, **values: str) -> dict[str, str]:
    """The municipality's statement form (a remark on section 2), started from the
    current draft."""
    return {
        "position": "consent_with_remarks",
        "body": "Die Stadt begrüßt den Entwurf.",
        "signatory": "",
        "signatory_function": "",
        "remarks-0-section_id": str(_section(w, 1)),
        "remarks-0-body": "Mehr Kita-Plätze.",
        "draft_revision": str(w.draft_revision),
        **values,
    }


def _berlin(moment: datetime) -> str:
    """A moment as a datetime-local field takes it (German time)."""
    return moment.astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M")


#: POST routes that read no text and no number from their form (the ids are in the path,
#: where the router takes only ids the columns can hold).
WITHOUT_FIELDS = {
    # Notifications (issue 14): the settings are radio buttons of a fixed choice (a bad
    # value is refused and nothing changes: tests/services/test_notification_settings.py);
    # unsubscribing takes only the signed token in its path.
    "notifications.update_settings",
    "notifications.unsubscribe_confirm",
    "admin.reinvite",
    "auth.logout",
    "consultations.remove_member",
    "profile.revoke_token",
    "revisions.copy",
    "revisions.delete_section",
    "revisions.discard",
    "revisions.publish",
    "revisions.renumber",
    "rounds.close",
    # Withdrawing a decision; deleting a response snippet (only ``confirmed``).
    "decisions.undecide",
    "inbox.delete_snippet",
    # Publishing a round's decisions or response table: only ``confirmed`` (compared with "1").
    "responses.publish_decisions",
    "responses.publish_responses",
    # Its two fields (a language among the offered ones, a local path to go back to) are
    # never stored: test_the_language_switch_takes_no_bad_value below.
    "main.set_language",
    # Statements: "keine Bedenken", reminding the pending municipalities and publishing the
    # statements take only ``confirmed``; removing a draft's attachment only the path's ids.
    "statements.no_objections",
    "statement_board.remind",
    "statement_board.publish",
    "statements.remove_attachment",
    # Its only field is the PDF: its name is made safe (statement_files.safe_name), not
    # refused, and its content is checked; both in tests/web/test_statement_pages.py.
    "statements.upload",
    # Building a round's committee package: no fields (tests/web/test_package_pages.py).
    "package.build",
    # Returning to the generated procedure report: only ``confirmed``.
    "report.reset",
    # An admin erasing an account: only ``confirmed`` (the id is in the path).
    "privacy.erase_user",
}


# --- the seeded world ---------------------------------------------------------------------


@pytest.fixture
def world(
    app: Flask,
    client: CSRFClient,
    db: Session,
    make_user: Callable[..., User],
    seeded: Seeded,  # noqa: F811
) -> World:
    users = [db.get(User, user_id) for user_id in seeded.ids["user_id"]]
    admin, editor, participant = users
    assert admin is not None and editor is not None and participant is not None
    town = seeded.ids["organisation_id"][0]
    mayor = db.scalars(select(User).where(User.organisation_id == town)).one()
    closed_round = close_a_round(app, db, seeded)
    with app.app_context():  # the services render e-mail templates
        token = accounts.issue_one_time_token(db, editor, "reset", 2)
        withdrawn = feedback_service.create_comment(
            db,
            seeded.ids["revision_id"][0],
            seeded.ids["section_id"][3],
            actor=admin,
            body="Doch nicht.",
        )
        feedback_service.withdraw(db, withdrawn.id, actor=admin)
        # The municipality's clerk (drafting staff) drafts its next version, with a PDF
        # (the mayor releases or returns the draft, attachment and all).
        clerk = make_user("Sabine Schreiber", organisation=db.get(Organisation, town))
        consultation_service.set_member(
            db,
            seeded.ids["consultation_id"][0],
            clerk.id,
            actor=admin,
            role="municipality",
            signatory=False,
        )
        statement = statements.save_draft(
            db,
            seeded.ids["round_id"][1],
            actor=clerk,
            organisation_id=town,
            position="consent",
            body="Entwurf der Verwaltung.",
        )
        statement_files.add_attachment(
            db,
            statement.id,
            actor=clerk,
            stream=io.BytesIO(minimal_pdf()),
            filename="Anlage.pdf",
        )
    assert statement.id == seeded.ids["statement_id"][0]
    db.commit()

    def person(user: User) -> Person:
        return Person(user.id, user.email, user.organisation_id)

    w = World(
        seeded,
        admin=person(admin),
        participant=person(participant),
        mayor=person(mayor),
        clerk=person(clerk),
        reset_token=token,
        closed_round=closed_round,
        withdrawn=withdrawn.id,
        draft_revision=statement.draft_revision,
    )
    support.sign_in(client, db, admin)
    w.rows = support.snapshot(db)
    db.rollback()  # (ends the snapshot's transaction: each request has a savepoint of its own)
    return w


# --- sending and judging ------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    html: str
    unchanged: bool
    #: The page a redirect leads to (followed inside the same savepoint).
    followed: str | None = None


class Sender:
    def __init__(self, app: Flask, connection: Connection, db: Session, w: World) -> None:
        self.app, self.connection, self.db, self.world = app, connection, db, w

    def _client(self, sender: str | None) -> CSRFClient:
        """A browser of its own for each request: what one request did to its session
        (a log-in, a new password that ends the other sessions) stays there. ``sender``:
        who is signed in (a Person of the World by name; None: nobody)."""
        client: CSRFClient = self.app.test_client()  # type: ignore[assignment]
        if sender is not None:
            user = self.db.get(User, self.world.person(sender).id)
            assert user is not None
            support.sign_in(client, self.db, user)
        return client

    def send(
        self, method: str, url: str, data: dict[str, Any], sender: str | None = "admin"
    ) -> Answer:
        limiter.reset()
        client = self._client(sender)
        self.db.rollback()
        savepoint = self.connection.begin_nested()
        try:
            response = client.open(url, method=method, data=data)
            html = support.page(response)
            unchanged = support.snapshot(self.db) == self.world.rows
            self.db.rollback()
            answer = Answer(response.status_code, html, unchanged)
            if 300 <= response.status_code < 400:
                answer.followed = support.page(client.get(response.headers["Location"]))
        finally:
            self.db.rollback()
            savepoint.rollback()
        return answer


def _visible(html: str, field_id: str) -> bool:
    """Whether the page has an input, select or text area of that id that is not hidden."""
    tag = re.search(rf'<(?:input|select|textarea)\b[^>]*\bid="{re.escape(field_id)}"[^>]*>', html)
    return tag is not None and 'type="hidden"' not in tag.group(0)


FLASHED_ERROR = re.compile(r'<p class="flash flash-error">([^<]*\S[^<]*)</p>')


def judge(answer: Answer, field_id: str, character: str | None) -> str | None:
    """What is wrong with the answer to a bad value in ``field_id`` (None: nothing);
    ``character``: what the error shown must name ("U+0000")."""
    if answer.status >= 500:
        return f"answered {answer.status}"
    if not answer.unchanged:
        return f"answered {answer.status} but wrote to the database"
    if 300 <= answer.status < 400:
        flashed = FLASHED_ERROR.findall(answer.followed or "")
        if not flashed:
            return f"redirected ({answer.status}) without showing an error"
        if character and not any(character in message for message in flashed):
            return f"redirected ({answer.status}) showing another error: {flashed}"
        return None
    if answer.status < 400:
        return f"accepted ({answer.status})"
    if answer.status == 422 and _visible(answer.html, field_id):
        try:
            shown = support.field_error(answer.html, field_id)
        except AssertionError as exc:
            return f"422 without the error at the field: {exc}"
        if character and character not in shown:
            return f"422 with another error at the field: {shown!r}"
    return None


def bad_values(form: Form, w: World) -> Iterator[tuple[str, str, Any, str | None]]:
    """(field, label, value, the character its error must name) of every bad value for
    the form's fields (a field under a text rule names the character it refuses)."""
    valid = form.data(w)
    for name, rule in form.text_fields().items():
        line = rule is not None and rule.shape is Shape.LINE
        values = {**TEXT_VALUES, **(LINE_VALUES if line else {})}
        for label, value in values.items():
            yield name, label, value, _refused_character(value) if rule else None
    for name, pattern in form.numbers.items():
        values = dict(NUMBER_VALUES)
        current = valid.get(name)
        current = current[0] if isinstance(current, list) else current
        number = re.search(r"\d+", str(current or ""))
        if number:
            values["id-in-arabic-indic"] = number.group().translate(ARABIC_INDIC)
        for label, value in values.items():
            text = pattern.format(value)
            yield name, label, [text] if isinstance(valid.get(name), list) else text, None


def _refused_character(value: str) -> str:
    """How the text rules name the character they refuse in ``value``: "U+0000"."""
    character = next(c for c in value if not (c.isascii() and c.isprintable()))
    return f"U+{ord(character):04X}"


# --- the tests ------------------------------------------------------------------------------


def test_every_form_is_covered(app: Flask) -> None:
    posted = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or set())
        and not rule.endpoint.startswith("api.")
        and rule.endpoint != "static"
    }
    covered = {form.endpoint for form in FORMS}
    assert not covered & WITHOUT_FIELDS
    assert posted == covered | WITHOUT_FIELDS, (
        f"not covered: {sorted(posted - covered - WITHOUT_FIELDS)}; "
        f"no such route: {sorted((covered | WITHOUT_FIELDS) - posted)}"
    )
    for form in FORMS:
        assert form.text_fields() or form.numbers, form.endpoint
        # Every hidden field and every select of ids is sent bad numbers.
        for name, unbound in form.fields().items():
            field_class = unbound.field_class
            numeric = issubclass(field_class, HiddenField) or (
                issubclass(field_class, SelectFieldBase)
                and (unbound.kwargs.get("coerce") is int or name.endswith(("_id", "_ids")))
            )
            if numeric and name not in ("selected",):
                assert name in form.numbers, f"{form.endpoint}: {name} gets no bad numbers"

    # LINE fields are told apart.
    def lines(form: Form) -> dict[str, bool]:
        return {
            name: rule is not None and rule.shape is Shape.LINE
            for name, rule in form.text_fields().items()
        }

    found = {form.endpoint: lines(form) for form in FORMS}
    assert found["admin.new_user"] == {"name": True, "email": True}
    assert found["revisions.edit_section"] == {"key": True, "title": True, "body": False}
    assert found["profile.create_token"] == {"token-name": True}
    # Fields of a list of sub-forms count (its first entry): a statement's remark rows.
    assert found["statements.round_statement"]["remarks-0-body"] is False
    assert found["statement_paper.record"]["receipt_number"] is True
    # Fields of a base class count: the new password of ChangePasswordForm.
    assert set(found["profile.change_password"]) == {"current_password", "password", "confirm"}


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.name)
def test_bad_values_in_a_form_are_refused_and_write_nothing(
    app: Flask, client: CSRFClient, connection: Connection, db: Session, world: World, form: Form
) -> None:
    sender = Sender(app, connection, db, world)
    url = form.url(world)
    valid = form.data(world)
    who = None if form.anonymous else form.sender
    control = sender.send("POST", url, valid, who)
    assert control.status < 400, f"the valid form was refused: {control.status} {control.html}"
    assert not control.unchanged or form.endpoint in {
        "consultations.import_draft",  # a preview
        "merge.preview",  # a preview (the seeded revisions cannot be merged: a draft exists)
        "auth.login",  # a session, nothing stored
    }, f"the valid form wrote nothing ({control.status})"
    failures = []
    count = 0
    for name, label, value, character in bad_values(form, world):
        data = {**valid, **form.needs.get(name, {}), name: value}
        answer = sender.send("POST", url, data, who)
        problem = judge(answer, form.field_id(world, name), character)
        count += 1
        if problem is not None:
            failures.append(f"{name} {label} {value!r}: {problem}")
    assert count
    assert not failures, f"POST {url}:\n" + "\n".join(failures)


NUMBERS_IN_QUERIES = ("²", "٣", "abc", "-1", "99999999999999999999", "1.5", "")


@pytest.mark.parametrize(
    ("page", "parameters"),
    [
        ("reading", ("group", "org")),
        ("reply", ("revision_id",)),
        ("diff", ("against",)),
        ("responses", ("names", "text")),
    ],
)
def test_numbers_in_query_strings_are_never_a_server_error(
    app: Flask,
    client: CSRFClient,
    connection: Connection,
    db: Session,
    world: World,
    page: str,
    parameters: tuple[str, ...],
) -> None:
    urls = {
        "reading": f"/revisions/{world.published}",
        "reply": f"/feedback/{world.id('comment_id', 0)}/reply",
        "diff": f"/revisions/{world.published}/diff",
        "responses": f"/rounds/{world.id('round_id')}/responses",
    }
    url = urls[page]
    failures = []
    for value in NUMBERS_IN_QUERIES:
        savepoint = connection.begin_nested()
        try:
            response = client.get(url, query_string=dict.fromkeys(parameters, value))
        finally:
            db.rollback()
            savepoint.rollback()
        # An empty comparison on the diff page means "the revision before" (a redirect).
        redirects_ok = page == "diff" and value == ""
        if response.status_code >= 500 or (
            response.status_code in (301, 302, 303) and not redirects_ok
        ):
            failures.append(f"{value!r}: {response.status_code}")
    assert not failures, f"GET {url}: {failures}"


def test_the_language_switch_takes_no_bad_value(
    app: Flask, client: CSRFClient, connection: Connection, db: Session, world: World
) -> None:
    sender = Sender(app, connection, db, world)
    values = {**TEXT_VALUES, **LINE_VALUES}
    for name in ("lang", "next"):
        for label, value in values.items():
            data = {"lang": "en", "next": "/", name: value}
            answer = sender.send("POST", "/language", data)
            assert answer.status < 500, (name, label, answer.status)
            assert answer.unchanged, (name, label)
