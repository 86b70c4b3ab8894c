"""`flask db upgrade` builds exactly the schema the models define; production needs a SECRET_KEY."""

import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import forum.models  # noqa: F401  (every table on db.metadata)
from forum import create_app
from forum.config import _database_url
from forum.extensions import db
from forum.search import pg as search_pg
from tests.conftest import flask_db


def expected_metadata(dialect: str) -> sa.MetaData:
    """The models, plus on PostgreSQL the search engine's own tables (forum/search/pg.py)."""
    if dialect != "postgresql":
        return db.metadata
    combined = sa.MetaData()
    for table in (*db.metadata.sorted_tables, *search_pg.metadata.sorted_tables):
        table.to_metadata(combined)
    return combined


def schema_diff(sqlalchemy_url: str) -> list:
    engine = sa.create_engine(sqlalchemy_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
            return compare_metadata(context, expected_metadata(engine.dialect.name))
    finally:
        engine.dispose()


def test_upgrade_on_an_empty_sqlite_file_gives_the_models_schema(tmp_path):
    path = tmp_path / "fresh.db"
    flask_db(f"sqlite:///{path}", tmp_path)
    url = f"sqlite:///{path}"
    assert schema_diff(url) == []
    tables = set(sa.inspect(sa.create_engine(url)).get_table_names())
    assert {t.name for t in db.metadata.sorted_tables} <= tables and "alembic_version" in tables


def test_every_revision_downgrades_to_an_empty_sqlite_file_and_upgrades_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'round-trip.db'}"
    flask_db(url, tmp_path)
    flask_db(url, tmp_path, "downgrade", "base")
    assert set(sa.inspect(sa.create_engine(url)).get_table_names()) <= {"alembic_version"}
    flask_db(url, tmp_path)
    assert schema_diff(url) == []


def test_the_comparison_sees_a_missing_schema(tmp_path):
    """Guard against a vacuous check: an empty database differs from the models."""
    diff = schema_diff(f"sqlite:///{tmp_path / 'empty.db'}")
    assert {op[1].name for op in diff if op[0] == "add_table"} == {t.name for t in db.metadata.sorted_tables}


def test_upgrade_on_sqlite_leaves_the_postgres_search_tables_out(tmp_path):
    path = tmp_path / "fresh.db"
    flask_db(f"sqlite:///{path}", tmp_path)
    tables = set(sa.inspect(sa.create_engine(f"sqlite:///{path}")).get_table_names())
    assert "search_documents" not in tables and "search_words" not in tables


@pytest.fixture
def fresh_postgres_database():
    """A brand-new database on the PostgreSQL server of DATABASE_URL, dropped afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql")):
        pytest.skip("DATABASE_URL is not PostgreSQL; the SQLite variant covers this run")
    base = sa.engine.make_url(_database_url())
    name = f"forum_migration_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_on_an_empty_postgres_database_gives_the_models_schema(fresh_postgres_database, tmp_path):
    url = fresh_postgres_database
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    flask_db(plain, tmp_path)
    assert schema_diff(url.render_as_string(hide_password=False)) == []


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(
            {"FORUM_ENV": "production", "SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"}
        )


def test_production_starts_with_a_secret_key(tmp_path):
    app = create_app(
        {
            "FORUM_ENV": "production",
            "SECRET_KEY": "a-real-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db",
            "FOLLOWUP_SCAN_INTERVAL": 0,
            "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        }
    )
    assert app.config["SECRET_KEY"] == "a-real-secret"
