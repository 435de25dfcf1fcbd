"""Migration 0007 counts what the published revisions of a database in use changed: the
history of a database migrated with the demo loaded is the one publishing stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import select, text

from consult import create_app
from consult.db import database
from consult.domain.outline_diff import Placed, compare_outlines, count_statuses
from consult.models import Consultation, Placement, Revision, User
from consult.services import diffs
from tests.conftest import make_settings
from tests.migrations.test_migrations import (  # noqa: F401  (fresh_url is a fixture)
    alembic_config,
    current_revision,
    fresh_url,
    tables,
)


def history_of_every_consultation(app: Any) -> list[tuple[int, int | None, dict[str, int]]]:
    """(revision number, compared-to number, counts) of every history, as an admin reads it."""
    found = []
    with app.app_context(), database(app).session_scope(write=False) as session:
        admin = session.scalars(select(User).where(User.is_admin.is_(True))).first()
        for consultation in session.scalars(select(Consultation).order_by(Consultation.id)):
            for entry in diffs.history(session, consultation.id, actor=admin):
                other = entry.compared_to
                found.append((entry.revision.number, other.number if other else None, entry.counts))
    return found


def compared_live(app: Any) -> list[tuple[int, int | None, dict[str, int]]]:
    """The same, each revision compared here with its base (or the one numbered one less)."""
    found = []
    with app.app_context(), database(app).session_scope(write=False) as session:
        for consultation in session.scalars(select(Consultation).order_by(Consultation.id)):
            revisions = session.scalars(
                select(Revision)
                .where(Revision.consultation_id == consultation.id)
                .order_by(Revision.number.desc())
            ).all()
            by_id = {r.id: r for r in revisions}
            by_number = {r.number: r for r in revisions}

            def placed(revision: Revision | None) -> list[Placed]:
                if revision is None:
                    return []
                return [
                    Placed(p.section_id, p.version_id, p.key, p.parent_section_id, p.depth)
                    for p in session.scalars(
                        select(Placement)
                        .where(Placement.revision_id == revision.id)
                        .order_by(Placement.position)
                    )
                ]

            for r in revisions:
                base = by_id.get(r.base_revision_id or -1) or by_number.get(r.number - 1)
                counts = count_statuses(compare_outlines(placed(base), placed(r)))
                found.append((r.number, base.number if base else None, counts))
    return found


def test_a_database_in_use_gets_the_counts_of_its_published_revisions(
    fresh_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    app = create_app(make_settings(tmp_path, fresh_url))
    engine = app.extensions["consult_db"].engine
    runner = app.test_cli_runner()
    try:
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        result = runner.invoke(args=["demo", "load"])
        assert result.exit_code == 0, result.output
        published = history_of_every_consultation(app)
        expected = compared_live(app)
        assert published == expected
        # The demo's second revision changed something.
        assert any(other is not None and counts["changed"] for _, other, counts in expected)

        # A database of the revision before (the demo's rows, no counts) ...
        cfg = alembic_config(engine)
        command.downgrade(cfg, "0006_concurrency")
        assert "revision_changes" not in tables(engine)
        # ... migrated: the counts are there, and the history is the same.
        command.upgrade(cfg, "head")
        assert current_revision(engine) is not None
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM revision_changes")).scalar_one()
            missing = conn.execute(
                text(
                    "SELECT count(*) FROM revisions"
                    " WHERE status <> 'draft' AND section_count IS NULL"
                )
            ).scalar_one()
        assert stored >= 1
        assert missing == 0
        assert history_of_every_consultation(app) == expected
    finally:
        engine.dispose()
