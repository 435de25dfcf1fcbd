"""Retention of personal data (``flask --app consult privacy purge``, services.privacy.purge)
with a fake clock: only accounts with no login for N months after all their consultations
ended are anonymised."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult import demo
from consult.db import utcnow
from consult.models import Consultation, Membership, Round
from consult.services import privacy
from tests import support
from tests.services.test_privacy import max_round, person

module_app = pytest.fixture(scope="module")(support.module_app)
app = pytest.fixture(support.app)


@pytest.fixture
def story(app: Flask, db: Session) -> None:
    """The demo, loaded (cheap password hashes: tests.support.app)."""
    with app.app_context():
        demo.load_demo(db)
        db.commit()


def test_months_before_counts_calendar_months() -> None:
    moment = utcnow().replace(year=2027, month=3, day=31)
    assert privacy.months_before(moment, 1).date().isoformat() == "2027-02-28"
    assert privacy.months_before(moment, 15).date().isoformat() == "2025-12-31"


def test_retention_erases_only_accounts_inactive_after_their_consultations_ended(
    app: Flask, db: Session, story: None, make_user: Any
) -> None:
    ended = max(r.effective_close() for r in db.scalars(select(Round)))
    jonas = person(db, "caritas@consult.example")
    sabine = person(db, "polizei@consult.example")
    ayse = person(db, "kulturverein@consult.example")
    admin = person(db, "admin@consult.example")
    later = Consultation(title="Schulentwicklungsplan", description="")
    db.add(later)
    db.flush()
    db.add(Membership(consultation_id=later.id, user_id=ayse.id, role="participant"))
    stray = make_user("Lose Person")  # in no consultation, never signed in
    stray.created_at = ended - timedelta(days=800)

    with app.app_context():
        # Eleven months after the last round closed: nothing is old enough yet.
        early = privacy.purge(db, months=12, now=ended + timedelta(days=335))
        assert early.erased == [stray.id]
        sabine.last_login_at = ended + timedelta(days=30 * 12)
        result = privacy.purge(db, months=12, now=ended + timedelta(days=30 * 13))

    assert jonas.id in result.erased and jonas.erased_at is not None
    assert sabine.erased_at is None  # signed in after the consultation ended
    assert ayse.erased_at is None  # a consultation of hers has not ended (no round yet)
    assert admin.erased_at is None
    assert stray.id not in result.erased  # erased once, not twice


def test_retention_waits_for_open_rounds(app: Flask, db: Session, story: None) -> None:
    newest = db.get(Round, max_round(db))
    assert newest is not None
    with app.app_context():
        result = privacy.purge(db, months=1, now=newest.opens_at + timedelta(hours=1))
    assert person(db, "caritas@consult.example").id not in result.erased
    assert person(db, "caritas@consult.example").erased_at is None


def test_the_purge_command(app: Flask, db: Session, make_user: Any) -> None:
    old = make_user("Alte Einladung")
    old.created_at = utcnow() - timedelta(days=900)
    db.commit()
    runner = app.test_cli_runner()
    assert "retention is off" in runner.invoke(args=["privacy", "purge"]).output
    result = runner.invoke(args=["privacy", "purge", "--months", "24"])
    assert result.exit_code == 0 and "erased 1 accounts" in result.output, result.output
    db.expire_all()
    assert old.name == privacy.ERASED_NAME
