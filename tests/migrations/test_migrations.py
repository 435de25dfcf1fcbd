"""Alembic owns the schema: ``upgrade head`` equals the models; every revision goes down and up.

Each test migrates a database of its own: a new SQLite file, and, when
``CONSULT_DATABASE_URL`` names a PostgreSQL server, also a separate database on it
(``<name>_migrations``), created and dropped here. The session-wide test database
of the other tiers is never touched.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Constraint,
    Engine,
    Index,
    PrimaryKeyConstraint,
    UniqueConstraint,
    inspect,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

import consult.models  # noqa: F401  (every table on the metadata)
from consult import config, create_app
from consult.cli import MIGRATIONS
from consult.db import Base, make_engine
from consult.models.search import is_model_object
from tests.conftest import make_settings
from tests.servers import fresh_database

_configured = config.test_database_url() or ""
#: SQLite always; PostgreSQL too when the test run points at a PostgreSQL server.
BACKENDS = ["sqlite"]
if _configured and make_url(_configured).get_backend_name() == "postgresql":
    BACKENDS.append("postgresql")


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database: a SQLite file, or one next to the configured PostgreSQL."""
    with fresh_database(tmp_path, "migrations", request.param) as url:
        yield url


@pytest.fixture
def fresh_engine(fresh_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_url)
    yield engine
    engine.dispose()


def alembic_config(engine: Engine | None = None) -> Config:
    """Alembic on ``engine`` (as ``consult.cli`` sets it up for the app's database)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def migration_scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def schema_differences(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "render_as_batch": engine.dialect.name == "sqlite",
                # The search index's FTS5 table (SQLite), vector column and index
                # (PostgreSQL) are kept beside the models (consult.models.search).
                "include_name": is_model_object,
            },
        )
        differences: list[Any] = compare_metadata(context, Base.metadata)
    return differences


def tables(engine: Engine) -> set[str]:
    """The tables, without the search index's FTS5 tables (consult.models.search)."""
    return {t for t in inspect(engine).get_table_names() if is_model_object(t, "table", {})}


def revisions_base_to_head() -> list[str]:
    script = migration_scripts()
    return [r.revision for r in reversed(list(script.walk_revisions("base", "heads")))]


def test_history_is_one_straight_line() -> None:
    script = migration_scripts()
    assert len(script.get_heads()) == 1, "merge the branches of the migration history"
    assert len(script.get_bases()) == 1
    chain = revisions_base_to_head()
    assert chain[0] == "0001_accounts"
    for older, newer in itertools.pairwise(chain):
        assert script.get_revision(newer).down_revision == older


def test_constraint_and_index_names_are_unique() -> None:
    """PostgreSQL keeps tables, indexes and unique/primary keys in one namespace per schema.

    The naming convention names a unique constraint after its first column only, so
    two constraints starting with the same column must be named by hand.
    """
    relations: Counter[str] = Counter()
    for table in Base.metadata.tables.values():
        relations[table.name] += 1
        per_table: Counter[str] = Counter()
        items: list[Constraint | Index] = [*table.constraints, *table.indexes]
        for item in items:
            name = str(item.name)
            assert item.name and len(name) <= 63, f"{table.name}: {name!r} (PostgreSQL: 63)"
            per_table[name] += 1
            if isinstance(item, PrimaryKeyConstraint | UniqueConstraint | Index):
                relations[name] += 1  # these are relations (indexes) in PostgreSQL
        assert [n for n, c in per_table.items() if c > 1] == [], table.name
    assert [n for n, c in relations.items() if c > 1] == []


def test_upgrade_head_on_a_fresh_database_equals_the_models(fresh_engine: Engine) -> None:
    assert tables(fresh_engine) == set()
    command.upgrade(alembic_config(fresh_engine), "head")
    assert current_revision(fresh_engine) == revisions_base_to_head()[-1]
    assert tables(fresh_engine) == set(Base.metadata.tables) | {"alembic_version"}
    assert schema_differences(fresh_engine) == []


def test_every_revision_goes_down_and_up_again(fresh_engine: Engine) -> None:
    cfg = alembic_config(fresh_engine)
    chain = revisions_base_to_head()
    command.upgrade(cfg, "head")

    # Down, one revision at a time, to an empty database ...
    for revision in reversed(chain):
        assert current_revision(fresh_engine) == revision
        command.downgrade(cfg, "-1")
    assert current_revision(fresh_engine) is None
    assert tables(fresh_engine) <= {"alembic_version"}

    # ... and up again, each step also undone and redone once.
    for index, revision in enumerate(chain):
        command.upgrade(cfg, revision)
        assert current_revision(fresh_engine) == revision
        command.downgrade(cfg, chain[index - 1] if index else "base")
        command.upgrade(cfg, revision)
        assert current_revision(fresh_engine) == revision
    assert schema_differences(fresh_engine) == []


def test_downgraded_database_accepts_data_after_upgrade(fresh_engine: Engine) -> None:
    """A round trip leaves working tables (constraints included), not just names."""
    cfg = alembic_config(fresh_engine)
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "base")
    command.upgrade(cfg, "head")
    with fresh_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO organisations (name, kind, is_active, created_at)"
                " VALUES ('Siegburg', 'municipality', true, CURRENT_TIMESTAMP)"
            )
        )
    with pytest.raises(IntegrityError), fresh_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO organisations (name, kind, is_active, created_at)"
                " VALUES ('Siegburg', 'other', true, CURRENT_TIMESTAMP)"
            )
        )


def test_db_upgrade_command_migrates_the_configured_database(
    fresh_url: str, tmp_path: Path
) -> None:
    app = create_app(make_settings(tmp_path, fresh_url))
    engine = app.extensions["consult_db"].engine
    try:
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert current_revision(engine) == revisions_base_to_head()[-1]
        assert schema_differences(engine) == []
        # Running it again is harmless.
        assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
        result = app.test_cli_runner().invoke(args=["db", "downgrade", "base"])
        assert result.exit_code == 0, result.output
        assert current_revision(engine) is None
    finally:
        engine.dispose()


def test_migrations_go_down_and_up_with_the_demo_in_the_tables(
    fresh_url: str, tmp_path: Path
) -> None:
    """Every step down and up again on a database in use (the demo loaded), not just an
    empty one: SQLite enforces foreign keys, so a step that copies and drops a table
    others point at fails only when there are rows."""
    app = create_app(make_settings(tmp_path, fresh_url))
    engine = app.extensions["consult_db"].engine
    runner = app.test_cli_runner()
    try:
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        result = runner.invoke(args=["demo", "load"])
        assert result.exit_code == 0, result.output
        with engine.connect() as conn:
            users = conn.execute(text("SELECT count(*) FROM users")).scalar_one()
        assert users > 5
        chain = revisions_base_to_head()
        cfg = alembic_config(engine)
        for target in reversed(chain[:-1]):
            command.downgrade(cfg, target)
            assert current_revision(engine) == target
            command.upgrade(cfg, "head")
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == users
        assert schema_differences(engine) == []
    finally:
        engine.dispose()
