"""A municipality's statement in the browser (issue 12), without JavaScript: the page
says the deadline before anyone types; staff draft, the mayor returns (with a reason) or
releases; versions, one version and the diff; PDF attachments checked by content; after
the deadline no form and 409; a stale draft keeps the typed text; one municipality
cannot see or act for another; published statements are for every member."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.db import utcnow
from consult.models import (
    Membership,
    Organisation,
    Round,
    Statement,
    StatementAttachment,
    StatementVersion,
    User,
)
from consult.services import statement_board
from consult.services.statement_text import NO_OBJECTIONS
from tests import support
from tests.conftest import CSRFClient
from tests.services.statement_world import Municipalities, add_municipalities, minimal_pdf
from tests.services.test_feedback import build_world

module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)


class Site:
    """The statements' world with a signed-in browser per person."""

    def __init__(self, towns: Municipalities, app: Flask) -> None:
        self.towns = towns
        self.app = app
        self._clients: dict[int, CSRFClient] = {}

    @property
    def db(self) -> Session:
        return self.towns.db

    @property
    def round(self) -> Round:
        assert self.towns.round is not None
        return self.towns.round

    @property
    def page_url(self) -> str:
        return f"/rounds/{self.round.id}/statement"

    def browser(self, user: User) -> CSRFClient:
        if user.id not in self._clients:
            self.db.commit()
            client: CSRFClient = self.app.test_client()  # type: ignore[assignment]
            self._clients[user.id] = support.sign_in(client, self.db, user)
        return self._clients[user.id]

    def get(self, user: User, url: str, status: int = 200) -> str:
        self.db.commit()
        response = self.browser(user).get(url)
        assert response.status_code == status, support.page(response)[:2000]
        return support.page(response)

    def post(self, user: User, url: str, data: dict[str, Any], status: int = 302) -> Any:
        self.db.commit()
        response = self.browser(user).post(url, data=data)
        assert response.status_code == status, support.page(response)[:3000]
        return response

    def statement(self, organisation: Organisation | None = None) -> Statement | None:
        self.db.expire_all()
        return self.db.scalar(
            select(Statement).where(
                Statement.round_id == self.round.id,
                Statement.organisation_id == (organisation or self.towns.siegburg).id,
            )
        )

    def count(self, model: type) -> int:
        self.db.expire_all()
        return self.db.scalar(select(func.count()).select_from(model)) or 0

    def move_deadline(self, delta: timedelta) -> None:
        round_ = self.db.get(Round, self.round.id)
        assert round_ is not None
        round_.closes_at = utcnow() + delta
        self.db.commit()


@pytest.fixture
def site(
    app: Flask,
    db: Session,
    admin: User,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    add_member: Callable[..., Membership],
) -> Site:
    world = build_world(db, admin, make_user, make_org, add_member)
    towns = add_municipalities(world)
    with app.app_context():
        towns.open_round()
    db.commit()
    return Site(towns, app)


def draft_data(**fields: Any) -> dict[str, Any]:
    data = {
        "action": "draft",
        "position": "consent_with_remarks",
        "body": "Die Stadt Siegburg begrüßt den Entwurf.",
        "signatory": "",
        "signatory_function": "",
        "remarks-0-section_id": "",
        "remarks-0-body": "",
    }
    data.update(fields)
    return data


def draft_revision(html: str) -> str:
    found = re.search(r'name="draft_revision"[^>]*value="(\d+)"', html) or re.search(
        r'value="(\d+)"[^>]*name="draft_revision"', html
    )
    assert found, "no draft_revision in the form"
    return found.group(1)


def test_the_page_says_the_deadline_before_the_form(site: Site) -> None:
    towns = site.towns
    html = site.get(towns.mayor, site.page_url)
    assert html.index("Frist Ihrer Kommune") < html.index("Haltung der Kommune zum Entwurf")
    assert "Stellungnahme von Siegburg" in html
    for label in ("Einvernehmen", "Einvernehmen mit Anmerkungen", "Ablehnung", "Enthaltung"):
        assert f">{label}</label>" in html
    assert "Stellungnahme einreichen" in html and "Keine Bedenken einreichen" in html
    # The signatory's name and function are filled in from the membership.
    assert 'value="Stefan Roth"' in html and 'value="Bürgermeister"' in html
    assert "höchstens 20 MB" in html
    # Staff: only a draft.
    clerk = site.get(towns.clerk, site.page_url)
    assert "Entwurf speichern" in clerk
    assert "Stellungnahme einreichen" not in clerk and "Keine Bedenken einreichen" not in clerk
    # The round's page and the start page lead there.
    round_page = site.get(towns.mayor, f"/rounds/{site.round.id}")
    assert "Stellungnahme Ihrer Kommune" in round_page and site.page_url in round_page
    assert site.page_url in site.get(towns.mayor, "/")


def test_staff_drafts_the_mayor_returns_with_a_reason_and_releases(site: Site) -> None:
    towns = site.towns
    section = towns.section_id("2")
    site.post(
        towns.clerk,
        site.page_url,
        draft_data(**{"remarks-0-section_id": str(section), "remarks-0-body": "Kita-Plätze?"}),
    )
    # Staff cannot submit: 403, nothing changes.
    before = support.snapshot(site.db)
    site.post(towns.clerk, site.page_url, draft_data(action="submit"), status=403)
    assert support.snapshot(site.db) == before
    statement = site.statement()
    assert statement is not None and statement.status == "draft"

    html = site.get(towns.mayor, site.page_url)
    assert "Freigeben und einreichen" in html and "Zurückgeben" in html
    # A return needs a reason.
    url = f"/statements/{statement.id}/return"
    page = support.page(
        site.post(towns.mayor, url, {"reason": "  ", "draft_revision": ""}, status=422)
    )
    assert support.field_error(page, "reason")
    assert support.snapshot(site.db) == before
    site.post(towns.mayor, url, {"reason": "Bitte die Kosten für die Stadt nennen."})
    assert site.statement().status == "returned"  # type: ignore[union-attr]

    html = site.get(towns.clerk, site.page_url)
    assert "zur Überarbeitung zurückgegeben" in html
    assert "Bitte die Kosten für die Stadt nennen." in html
    site.post(
        towns.clerk,
        site.page_url,
        draft_data(
            body="Die Stadt begrüßt den Entwurf; die Kosten trägt der Kreis.",
            draft_revision=draft_revision(html),
        ),
    )
    html = site.get(towns.mayor, site.page_url)
    response = site.post(
        towns.mayor,
        f"/statements/{statement.id}/release",
        {"draft_revision": draft_revision(html)},
    )
    assert "eingereicht=1" in response.headers["Location"]
    version = site.db.scalar(select(StatementVersion))
    assert version is not None and version.number == 1
    assert version.submitted_by_id == towns.mayor.id and version.drafted_by_id == towns.clerk.id
    assert version.signatory_name == "Stefan Roth"
    html = site.get(towns.mayor, site.page_url + "?eingereicht=1")
    assert "Ihre Stellungnahme ist eingereicht (Fassung 1)" in html
    assert re.search(r'id="bestaetigung"[^>]*autofocus', html)
    assert "Eingereicht: Fassung 1" in html


def test_another_municipality_sees_and_does_nothing(site: Site) -> None:
    towns = site.towns
    site.post(towns.mayor, site.page_url, draft_data())
    statement = site.statement()
    assert statement is not None
    lohmar = site.get(towns.lohmar_mayor, site.page_url)
    assert "Stellungnahme von Lohmar" in lohmar and "Siegburg begrüßt" not in lohmar
    before = support.snapshot(site.db)
    other = towns.lohmar_mayor
    site.get(other, f"/statements/{statement.id}", status=403)
    site.get(other, f"/statements/{statement.id}/versions/1", status=403)
    site.post(other, f"/statements/{statement.id}/release", {}, status=403)
    site.post(other, f"/statements/{statement.id}/return", {"reason": "Nein."}, status=403)
    upload = {"file": (io.BytesIO(minimal_pdf()), "a.pdf")}
    response = site.browser(other).post(
        f"/statements/{statement.id}/attachments", data=upload, content_type="multipart/form-data"
    )
    assert response.status_code == 403
    assert support.snapshot(site.db) == before
    # A participant who is no municipality has no statement page.
    site.get(towns.world.alice, site.page_url, status=403)


def test_versions_are_listed_readable_and_compared(site: Site) -> None:
    towns = site.towns
    site.post(towns.mayor, site.page_url, draft_data(action="submit", body="Erste Fassung."))
    html = site.get(towns.mayor, site.page_url)
    site.post(
        towns.mayor,
        site.page_url,
        draft_data(
            action="submit",
            position="rejection",
            body="Zweite Fassung: zu teuer.",
            draft_revision=draft_revision(html),
        ),
    )
    statement = site.statement()
    assert statement is not None and statement.version_count == 2
    shown = site.get(towns.mayor, f"/statements/{statement.id}")
    assert "Fassung 2 (gilt)" in shown and "Zweite Fassung: zu teuer." in shown
    assert re.search(r"\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr", shown)
    assert f"/statements/{statement.id}/versions/1" in shown
    first = site.get(towns.mayor, f"/statements/{statement.id}/versions/1")
    assert "Erste Fassung." in first and "Das ist eine frühere Fassung" in first
    compared = site.get(towns.mayor, f"/statements/{statement.id}/diff?old=1&new=2")
    assert "<del" in compared and "<ins" in compared
    assert "geändert von „Einvernehmen mit Anmerkungen“ zu „Ablehnung“" in compared
    site.get(towns.mayor, f"/statements/{statement.id}/diff?old=2&new=2", status=422)
    site.get(towns.mayor, f"/statements/{statement.id}/versions/9", status=404)


def test_a_pdf_is_attached_html_named_pdf_is_refused(site: Site) -> None:
    towns = site.towns
    html = site.get(towns.clerk, site.page_url)
    assert "Speichern Sie zuerst einen Entwurf" in html
    site.post(towns.clerk, site.page_url, draft_data())
    statement = site.statement()
    assert statement is not None
    url = f"/statements/{statement.id}/attachments"
    client = site.browser(towns.clerk)
    site.db.commit()
    fake = {"file": (io.BytesIO(b"<html><body>Hallo</body></html>"), "stellungnahme.pdf")}
    response = client.post(url, data=fake, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "kein PDF-Dokument" in support.page(response)
    assert site.count(StatementAttachment) == 0
    response = client.post(url, data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    real = {"file": (io.BytesIO(minimal_pdf()), "Beschluss Stadtrat.pdf")}
    response = client.post(url, data=real, content_type="multipart/form-data")
    assert response.status_code == 302, support.page(response)[:2000]
    attachment = site.db.scalar(select(StatementAttachment))
    assert attachment is not None and attachment.page_count == 1
    html = site.get(towns.clerk, site.page_url)
    assert "Beschluss Stadtrat.pdf" in html
    download = client.get(f"/statements/{statement.id}/attachments/{attachment.id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    assert download.headers["Content-Disposition"].startswith("attachment")
    # Others may not download it; a draft's file is the municipality's own.
    site.get(towns.lohmar_mayor, f"/statements/{statement.id}/attachments/{attachment.id}", 403)
    site.post(towns.clerk, f"/statements/{statement.id}/attachments/{attachment.id}/remove", {})
    assert site.count(StatementAttachment) == 0


def test_after_the_deadline_no_form_and_409(site: Site) -> None:
    towns = site.towns
    site.move_deadline(timedelta(minutes=-1))
    html = site.get(towns.mayor, site.page_url)
    assert "Die Frist ist am" in html and "abgelaufen" in html
    assert "Entwurf speichern" not in html and "Keine Bedenken einreichen" not in html
    before = support.snapshot(site.db)
    response = site.post(towns.mayor, site.page_url, draft_data(action="submit"), status=409)
    assert "abgelaufen" in support.page(response)
    site.post(
        towns.mayor,
        f"/rounds/{site.round.id}/statement/no-objections",
        {"confirmed": "1"},
        status=409,
    )
    assert support.snapshot(site.db) == before


def test_a_stale_draft_keeps_the_typed_text(site: Site) -> None:
    towns = site.towns
    site.post(towns.clerk, site.page_url, draft_data(body="Erster Entwurf."))
    started = draft_revision(site.get(towns.clerk, site.page_url))
    site.post(
        towns.mayor, site.page_url, draft_data(body="Vom Bürgermeister.", draft_revision=started)
    )
    typed = "Meine Änderungen – „wichtig“ 🙂"
    response = site.post(
        towns.clerk,
        site.page_url,
        draft_data(body=typed, draft_revision=started),
        status=409,
    )
    html = support.page(response)
    assert "Jemand hat den Entwurf inzwischen geändert" in html
    assert typed in html and "Vom Bürgermeister." in html
    assert site.statement().draft_body == "Vom Bürgermeister."  # type: ignore[union-attr]
    # Saving again (from the newer draft) is a deliberate replacement.
    site.post(
        towns.clerk, site.page_url, draft_data(body=typed, draft_revision=draft_revision(html))
    )
    assert site.statement().draft_body == typed  # type: ignore[union-attr]


def test_no_objections_in_one_step_after_confirming(site: Site) -> None:
    towns = site.towns
    url = f"/rounds/{site.round.id}/statement/no-objections"
    asked = support.page(site.post(towns.mayor, url, {}, status=200))
    assert "„Keine Bedenken“ für Siegburg einreichen?" in asked
    assert site.count(StatementVersion) == 0
    site.post(towns.clerk, url, {"confirmed": "1"}, status=403)
    site.post(towns.mayor, url, {"confirmed": "1"})
    version = site.db.scalar(select(StatementVersion))
    assert version is not None and version.position == "consent"
    assert version.body == NO_OBJECTIONS


def test_more_remarks_without_javascript_and_bad_input(site: Site) -> None:
    towns = site.towns
    html = support.page(
        site.post(
            towns.clerk,
            site.page_url,
            draft_data(action="more", **{"remarks-0-body": "Noch ohne Abschnitt"}),
            status=200,
        )
    )
    assert 'id="remarks-1-section_id"' in html and "Noch ohne Abschnitt" in html
    assert site.statement() is None
    # A remark without a section and an unknown position: 422 at the fields.
    response = site.post(
        towns.clerk,
        site.page_url,
        draft_data(position="vielleicht", **{"remarks-0-body": "Ohne Abschnitt"}),
        status=422,
    )
    assert "Unbekannte Haltung" in support.page(response) or "position-error" in response.text
    response = site.post(
        towns.clerk, site.page_url, draft_data(**{"remarks-0-body": "Ohne Abschnitt"}), status=422
    )
    assert support.field_error(support.page(response), "remarks-0-section_id")
    # A rejection needs its reasons.
    response = site.post(
        towns.mayor, site.page_url, draft_data(action="submit", position="rejection", body=""), 422
    )
    assert support.field_error(support.page(response), "body") == "Bitte begründen."
    assert site.statement() is None


def test_published_statements_are_for_every_member(app: Flask, site: Site) -> None:
    towns = site.towns
    site.post(towns.mayor, site.page_url, draft_data(action="submit"))
    statement = site.statement()
    assert statement is not None
    alice = towns.world.alice
    site.get(alice, f"/statements/{statement.id}", status=403)
    assert "Siegburg begrüßt" in site.get(towns.editor, f"/statements/{statement.id}")
    with app.test_request_context():
        statement_board.publish(site.db, site.round.id, actor=towns.editor)
    site.db.commit()
    shown = site.get(alice, f"/statements/{statement.id}")
    assert "Siegburg begrüßt" in shown
    assert "Zur Bearbeitung" not in shown and "Entwurf speichern" not in shown
    site.get(alice, f"/statements/{statement.id}/diff?old=1&new=1", status=422)


def test_the_reading_view_shows_the_mayors_own_remarks(site: Site) -> None:
    """A submitted remark is the mayor's own feedback, but not one to edit or withdraw."""
    towns = site.towns
    section = towns.section_id("2")
    site.post(
        towns.mayor,
        site.page_url,
        draft_data(
            action="submit", **{"remarks-0-section_id": str(section), "remarks-0-body": "Kita?"}
        ),
    )
    revision_id = site.round.revision_id
    for query in ("", f"?mine=1&round={site.round.id}"):
        html = site.get(towns.mayor, f"/revisions/{revision_id}{query}")
        assert "Kita?" in html
