"""Command line: create-office, create-category, create-user, seed-demo (SPEC section 3)."""

import pytest
import sqlalchemy as sa

from forum.cli import DEMO_PASSWORD, DEMO_USERS
from forum.extensions import db
from forum.models import Category, Comment, Idea, Office, User


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def office(code: str) -> Office | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Office).where(Office.code == code))


def test_create_office_top_level_and_with_parent(runner, app):
    result = runner.invoke(args=["create-office", "--code", "CAB", "--name", "Cabinet Division"])
    assert result.exit_code == 0, result.output
    assert "Created office CAB" in result.output
    result = runner.invoke(args=["create-office", "--code", "MOL", "--name", "Ministry of Land", "--parent", "CAB"])
    assert result.exit_code == 0, result.output
    assert office("CAB").parent is None and office("MOL").parent.code == "CAB"


def test_create_office_with_an_unknown_parent_fails_clearly(runner, app):
    result = runner.invoke(args=["create-office", "--code", "MOL", "--name", "Ministry", "--parent", "NOPE"])
    assert result.exit_code != 0
    assert "parent 'NOPE' does not exist" in result.output
    assert office("MOL") is None


def test_create_office_with_a_duplicate_code_fails_clearly(runner, app):
    assert runner.invoke(args=["create-office", "--code", "CAB", "--name", "Cabinet"]).exit_code == 0
    result = runner.invoke(args=["create-office", "--code", "CAB", "--name", "Cabinet again"])
    assert result.exit_code != 0 and "already exists" in result.output
    assert count(Office) == 1 and office("CAB").name == "Cabinet"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--code", "has space", "--name", "X"], "code must be"),
        (["--code", "OK", "--name", "   "], "name is required"),
        (["--name", "No code"], "Missing option '--code'"),
    ],
)
def test_create_office_rejects_bad_input(runner, app, args, message):
    result = runner.invoke(args=["create-office", *args])
    assert result.exit_code != 0 and message in result.output
    assert count(Office) == 0


def test_create_category_with_and_without_office(runner, world):
    result = runner.invoke(args=["create-category", "--name", "Education", "--office", "MIN"])
    assert result.exit_code == 0, result.output
    assert "Created category" in result.output and "Education" in result.output
    result = runner.invoke(args=["create-category", "--name", "Disaster management"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    education = db.session.scalar(sa.select(Category).where(Category.name == "Education"))
    disaster = db.session.scalar(sa.select(Category).where(Category.name == "Disaster management"))
    assert education.office.code == "MIN" and disaster.office is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "Education", "--office", "NOPE"], "office 'NOPE' does not exist"),
        (["--name", "health"], "already exists"),
    ],
)
def test_create_category_errors_are_clear(runner, world, args, message):
    result = runner.invoke(args=["create-category", *args])
    assert result.exit_code != 0 and message in result.output
    assert count(Category) == 2


def user_args(**overrides) -> list[str]:
    values = {
        "--email": "dc@x.gov",
        "--name": "Nasrin Akter",
        "--role": "senior",
        "--office": "DIST",
        "--password": "Secret-pass-456",
    }
    values.update(overrides)
    return ["create-user"] + [part for pair in values.items() for part in pair]


def test_create_user(runner, world):
    result = runner.invoke(args=user_args(**{"--email": "DC@X.gov"}))
    assert result.exit_code == 0, result.output
    assert "Created senior dc@x.gov" in result.output
    db.session.expire_all()
    user = db.session.scalar(sa.select(User).where(User.email == "dc@x.gov"))
    assert user.role == "senior" and user.office.code == "DIST" and user.is_active
    assert user.check_password("Secret-pass-456") and "Secret-pass-456" not in user.password_hash


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"--role": "emperor"}, "Invalid value for '--role'"),
        ({"--email": "not-an-email"}, "email is not valid"),
        ({"--office": "NOPE"}, "office 'NOPE' does not exist"),
        ({"--email": "officer@x.gov"}, "already exists"),
        ({"--password": "short"}, "password must be at least 8 characters"),
    ],
)
def test_create_user_errors_are_clear(runner, world, overrides, message):
    result = runner.invoke(args=user_args(**overrides))
    assert result.exit_code != 0
    assert message in result.output
    assert count(User) == 5


def test_seed_demo_prints_logins_and_is_idempotent(runner, app):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert DEMO_PASSWORD in first.output
    for email, *_ in DEMO_USERS:
        assert email in first.output
    roles = {u.role for u in db.session.scalars(sa.select(User))}
    assert roles == {"officer", "senior", "staff", "admin"}
    totals = {model: count(model) for model in (Office, Category, User, Idea, Comment)}
    assert totals[Idea] >= 3 and totals[Comment] >= 1

    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert "(0 new records)" in second.output
    assert DEMO_PASSWORD in second.output
    assert {model: count(model) for model in totals} == totals


def test_seed_demo_logins_work(runner, app):
    runner.invoke(args=["seed-demo"])
    client = app.test_client()
    for email, *_ in DEMO_USERS:
        response = client.post("/api/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 200, email
