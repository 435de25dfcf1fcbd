"""Working-group pages: create with members, edit members and sections, refusals, rights."""

from __future__ import annotations

from collections.abc import Callable

import lxml.html
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.models import User, WorkingGroup, WorkingGroupMember
from consult.services import consultations as consultation_service
from consult.services import drafts
from tests.conftest import CSRFClient


def members_of(db: Session, group_id: int) -> list[int]:
    db.expire_all()
    return sorted(
        db.scalars(
            select(WorkingGroupMember.user_id).where(
                WorkingGroupMember.working_group_id == group_id
            )
        )
    )


def test_create_and_edit_a_working_group(
    client: CSRFClient, db: Session, admin: User, make_user: Callable[..., User], login
) -> None:
    consultation = consultation_service.create_consultation(db, actor=admin, title="Konzept")
    anna, ben = make_user("Anna Arbeitskreis"), make_user("Ben Bildung")
    for person in (anna, ben):
        consultation_service.set_member(
            db, consultation.id, person.id, actor=admin, role="participant"
        )
    login(admin)
    url = f"/consultations/{consultation.id}/working-groups"
    response = client.post(url, data={"name": "AK Bildung", "member_ids": [anna.id, ben.id]})
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    group = db.scalars(select(WorkingGroup).where(WorkingGroup.name == "AK Bildung")).one()
    assert members_of(db, group.id) == sorted([anna.id, ben.id])
    page = client.get(url).get_data(as_text=True)
    assert "Anna Arbeitskreis" in page and "Ben Bildung" in page

    response = client.post(
        f"/working-groups/{group.id}/edit",
        data={"name": "AK Bildung und Sprache", "member_ids": [ben.id]},
    )
    assert response.status_code == 302
    assert members_of(db, group.id) == [ben.id]
    db.refresh(group)
    assert group.name == "AK Bildung und Sprache"

    # a refused save (the name of another group) keeps the old name and members
    assert client.post(url, data={"name": "AK Arbeit"}).status_code == 302
    response = client.post(
        f"/working-groups/{group.id}/edit", data={"name": "ak arbeit", "member_ids": [anna.id]}
    )
    assert response.status_code == 422
    assert "Schon vergeben." in response.get_data(as_text=True)
    assert members_of(db, group.id) == [ben.id]
    db.refresh(group)
    assert group.name == "AK Bildung und Sprache"


def test_participants_cannot_manage_working_groups(
    client: CSRFClient, db: Session, admin: User, make_user: Callable[..., User], login
) -> None:
    consultation = consultation_service.create_consultation(db, actor=admin, title="Konzept")
    anna = make_user("Anna")
    consultation_service.set_member(db, consultation.id, anna.id, actor=admin, role="participant")
    login(anna)
    url = f"/consultations/{consultation.id}/working-groups"
    assert client.get(url).status_code == 200
    assert client.post(url, data={"name": "AK", "member_ids": [anna.id]}).status_code == 403
    assert db.scalars(select(WorkingGroup)).all() == []


def test_members_sections_and_invited_groups_are_checkboxes_in_a_fieldset(
    client: CSRFClient, db: Session, admin: User, make_user: Callable[..., User], login
) -> None:
    """Several choices are checkboxes under a legend, not a select that wants Ctrl+click;
    they post the same names and values as before (the test above posts them)."""
    consultation = consultation_service.create_consultation(db, actor=admin, title="Konzept")
    anna = make_user("Anna Arbeitskreis")
    consultation_service.set_member(db, consultation.id, anna.id, actor=admin, role="participant")
    login(admin)
    url = f"/consultations/{consultation.id}/working-groups"
    assert client.post(url, data={"name": "AK Bildung", "member_ids": [anna.id]}).status_code == 302
    group = db.scalars(select(WorkingGroup).where(WorkingGroup.name == "AK Bildung")).one()

    page = lxml.html.fromstring(client.get(f"/working-groups/{group.id}/edit").get_data())
    assert not page.xpath("//select[@multiple]")
    [members] = page.xpath("//fieldset[@id='member_ids']")
    assert members.xpath("./legend")[0].text_content() == "Mitglieder"
    boxes = members.xpath(".//input[@type='checkbox'][@name='member_ids']")
    [box] = [b for b in boxes if b.get("value") == str(anna.id)]
    assert box.get("checked") is not None
    [label] = page.xpath(f"//label[@for='{box.get('id')}']")
    assert "Anna Arbeitskreis" in label.text_content()
    [sections] = page.xpath("//fieldset[@id='section_ids']")
    assert "Abschnitte" in sections.xpath("./legend")[0].text_content()
    assert sections.xpath(".//p[@class='meta']")  # no sections yet: said, not an empty list

    revision = drafts.create_from_markdown(
        db, consultation.id, actor=admin, markdown="# 1 Ziele\n\nText."
    )
    drafts.publish(db, revision.id, actor=admin)
    rounds = lxml.html.fromstring(client.get(f"/consultations/{consultation.id}/rounds").get_data())
    [fieldset] = rounds.xpath("//fieldset[@id='working_group_ids']")
    assert fieldset.xpath("./legend")[0].text_content() == "Eingeladene Arbeitskreise"
    boxes = fieldset.xpath(".//input[@type='checkbox'][@name='working_group_ids']")
    assert [b.get("value") for b in boxes] == [str(group.id)]
