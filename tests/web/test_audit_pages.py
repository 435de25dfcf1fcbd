"""The audit log pages: German words, filters, CSV, who may see them; exports are logged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.models import AuditEntry, Consultation, User
from consult.services import audit


@pytest.fixture
def setup(
    db: Session, admin: User, make_user: Callable[..., User], add_member: Callable[..., Any]
) -> dict[str, Any]:
    consultation = Consultation(title="Integrationskonzept")
    db.add(consultation)
    db.flush()
    editor = make_user("Miriam Redaktion")
    participant = make_user("Paula Teilnehmerin")
    add_member(consultation.id, editor, "editor")
    add_member(consultation.id, participant, "participant")
    audit.record(db, actor=editor, action="round.opened", object_type="round", object_id=4,
                 consultation_id=consultation.id, details={"title": "Runde 1"})  # fmt: skip
    audit.record(db, actor=editor, action="round.closed", object_type="round", object_id=4,
                 consultation_id=consultation.id)  # fmt: skip
    db.commit()
    return {"cid": consultation.id, "editor": editor, "participant": participant, "admin": admin}


def test_editors_read_the_log_in_german_and_download_it(
    login: Callable[[User], Any], setup: dict[str, Any]
) -> None:
    client = login(setup["editor"])
    page = client.get(f"/consultations/{setup['cid']}/audit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Runde eröffnet" in html and "Runde beendet" in html and "Miriam Redaktion" in html
    assert "/rounds/4" in html  # the object links to its page
    filtered = client.get(f"/consultations/{setup['cid']}/audit?action=round.closed")
    assert "Runde beendet" in filtered.get_data(as_text=True)
    assert "Titel: Runde 1" not in filtered.get_data(as_text=True)
    csv = client.get(f"/consultations/{setup['cid']}/audit.csv")
    assert csv.status_code == 200 and csv.data.startswith("\ufeff".encode())
    assert "Runde eröffnet" in csv.data.decode("utf-8-sig")
    show = client.get(f"/consultations/{setup['cid']}").get_data(as_text=True)
    assert f"/consultations/{setup['cid']}/audit" in show  # the link in the nav


def test_participants_see_no_log_and_no_link(
    login: Callable[[User], Any], setup: dict[str, Any]
) -> None:
    client = login(setup["participant"])
    assert client.get(f"/consultations/{setup['cid']}/audit").status_code == 403
    assert client.get(f"/consultations/{setup['cid']}/audit.csv").status_code == 403
    assert client.get("/admin/audit").status_code == 403
    show = client.get(f"/consultations/{setup['cid']}").get_data(as_text=True)
    assert f"/consultations/{setup['cid']}/audit" not in show


def test_admins_read_the_whole_log_with_their_logins(
    login: Callable[[User], Any], setup: dict[str, Any], db: Session
) -> None:
    client = login(setup["admin"])  # an admin's login is recorded
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "Anmeldung (Verwaltung)" in html and "Runde eröffnet" in html
    db.expire_all()
    logins = db.scalars(select(AuditEntry).where(AuditEntry.action == "admin.login")).all()
    assert [e.actor_id for e in logins] == [setup["admin"].id]
    assert client.get("/admin/audit.csv").status_code == 200
