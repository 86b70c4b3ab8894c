"""Admin pages: users, offices and categories; only admins get in."""

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.models import Category, Office, User
from tests.conftest import PASSWORD


@pytest.fixture
def admin(client, world, auth):
    auth.login("admin@x.gov")
    return client


def fresh(model, **where):
    db.session.expire_all()
    return db.session.scalar(sa.select(model).filter_by(**where))


def text(response) -> str:
    return response.get_data(as_text=True)


ADMIN_PAGES = ["/admin/", "/admin/users", "/admin/offices", "/admin/offices/MIN", "/admin/categories"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_render_for_admins(admin, path):
    response = admin.get(path, follow_redirects=True)
    assert response.status_code == 200


@pytest.mark.parametrize("role", ["officer", "senior", "staff"])
@pytest.mark.parametrize("path", ADMIN_PAGES + ["/admin/users/1", "/admin/categories/1"])
def test_non_admins_get_403(client, world, auth, role, path):
    auth.login(world[role].email)
    assert client.get(path).status_code == 403
    if path != "/admin/":  # the only GET-only admin page
        assert client.post(path, data={"name": "x"}).status_code == 403


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_anonymous_users_are_sent_to_login(client, world, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_creates_a_user_who_can_log_in(admin, app):
    response = admin.post(
        "/admin/users",
        data={"name": "Nasrin Akter", "email": "dc@x.gov", "role": "senior", "office": "DIST", "password": PASSWORD},
    )
    assert response.status_code == 302
    user = fresh(User, email="dc@x.gov")
    assert (user.role, user.office.code, user.status) == ("senior", "DIST", "active")
    other = app.test_client()
    assert other.post("/login", data={"email": "dc@x.gov", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "officer@x.gov"}, "already exists"),
        ({"email": "not-an-email"}, "email is not valid"),
        ({"role": "emperor"}, "Not a valid choice"),
        ({"office": "NOPE"}, "Not a valid choice"),
        ({"password": "short"}, "between 8 and 200 characters"),
    ],
)
def test_create_user_errors_are_shown_on_the_form(admin, overrides, message):
    data = {"name": "Someone", "email": "someone@x.gov", "role": "officer", "office": "DIST", "password": PASSWORD}
    data.update(overrides)
    response = admin.post("/admin/users", data=data)
    assert response.status_code == 200 and message in text(response)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 5


def test_admin_changes_role_and_office(admin, world):
    officer = world["officer"]
    response = admin.post(f"/admin/users/{officer.id}", data={"role": "senior", "office": "MIN", "status": "active"})
    assert response.status_code == 302
    user = fresh(User, id=officer.id)
    assert (user.role, user.office.code, user.status) == ("senior", "MIN", "active")


def test_pending_users_are_listed_and_approved(admin, world, app):
    pending = app.test_client()
    pending.post(
        "/signup",
        data={
            "name": "Pending Person",
            "email": "pending@x.gov",
            "office": "DIST",
            "password": PASSWORD,
            "password2": PASSWORD,
        },
    )
    listing = admin.get("/admin/users", query_string={"status": "pending"})
    assert "pending@x.gov" in text(listing) and "officer@x.gov" not in text(listing)
    user = fresh(User, email="pending@x.gov")
    page = admin.get(f"/admin/users/{user.id}")
    assert page.status_code == 200 and 'selected value="active"' in text(page)
    response = admin.post(f"/admin/users/{user.id}", data={"role": "officer", "office": "DIST", "status": "active"})
    assert response.status_code == 302
    assert fresh(User, email="pending@x.gov").status == "active"
    assert pending.post("/login", data={"email": "pending@x.gov", "password": PASSWORD}).status_code == 302


def test_admin_deactivates_and_reactivates_a_user(admin, world):
    uid = world["officer2"].id
    admin.post(f"/admin/users/{uid}", data={"role": "officer", "office": "DIST", "status": "deactivated"})
    assert fresh(User, id=uid).status == "deactivated"
    page = admin.get(f"/admin/users/{uid}")
    assert 'selected value="deactivated"' in text(page)
    admin.post(f"/admin/users/{uid}", data={"role": "officer", "office": "DIST", "status": "active"})
    assert fresh(User, id=uid).status == "active"


@pytest.mark.parametrize("query", ["page=abc", "page=-3", "page=99999", "status=nonsense"])
def test_user_list_survives_odd_query_strings(admin, query):
    assert admin.get("/admin/users?" + query).status_code == 200


def test_unknown_user_office_and_category_are_404(admin):
    assert admin.get("/admin/users/98765").status_code == 404
    assert admin.get("/admin/offices/NOPE").status_code == 404
    assert admin.get("/admin/categories/98765").status_code == 404


def test_admin_creates_offices_with_and_without_parent(admin):
    assert admin.post("/admin/offices", data={"code": "TOP2", "name": "Second tree", "parent": ""}).status_code == 302
    assert admin.post("/admin/offices", data={"code": "UPZ", "name": "Kaliakair", "parent": "DIST"}).status_code == 302
    assert fresh(Office, code="TOP2").parent is None
    assert fresh(Office, code="UPZ").parent.code == "DIST"
    tree = text(admin.get("/admin/offices"))
    assert "Kaliakair" in tree and "Second tree" in tree


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "MIN", "name": "Again"}, "already exists"),
        ({"code": "bad code!", "name": "Spaces"}, "code must be"),
        ({"code": "OK", "name": ""}, "This field is required"),
        ({"code": "OK", "name": "x", "parent": "NOPE"}, "Not a valid choice"),
    ],
)
def test_office_errors_are_readable(admin, data, message):
    response = admin.post("/admin/offices", data={"parent": "", **data})
    assert response.status_code == 200 and message in text(response)
    assert db.session.scalar(sa.select(sa.func.count(Office.id))) == 3


def test_admin_edits_an_office_parent(admin):
    admin.post("/admin/offices", data={"code": "TOP2", "name": "Second tree", "parent": ""})
    response = admin.post("/admin/offices/DIST", data={"code": "DIST", "name": "Gazipur District", "parent": "TOP2"})
    assert response.status_code == 302
    assert fresh(Office, code="DIST").parent.code == "TOP2"
    response = admin.post("/admin/offices/DIST", data={"code": "DIST", "name": "Gazipur (top)", "parent": ""})
    assert response.status_code == 302
    office = fresh(Office, code="DIST")
    assert office.parent is None and office.name == "Gazipur (top)"


@pytest.mark.parametrize("new_parent", ["DIST", "MIN", "ROOT"])
def test_office_cycle_is_refused_with_a_readable_error(admin, new_parent):
    # ROOT below itself, or below one of its own descendants.
    response = admin.post("/admin/offices/ROOT", data={"code": "ROOT", "name": "Cabinet", "parent": new_parent})
    assert response.status_code == 200
    assert "cannot sit below itself" in text(response)
    root = fresh(Office, code="ROOT")
    assert root.parent is None and root.name == "Cabinet Division"


def test_admin_creates_and_renames_categories(admin):
    response = admin.post("/admin/categories", data={"name": "Education", "office": "MIN"})
    assert response.status_code == 302
    category = fresh(Category, name="Education")
    assert category.office.code == "MIN"
    assert "Education" in text(admin.get("/admin/categories"))
    response = admin.post(f"/admin/categories/{category.id}", data={"name": "Primary education", "office": ""})
    assert response.status_code == 302
    renamed = fresh(Category, id=category.id)
    assert renamed.name == "Primary education" and renamed.office is None


def test_duplicate_category_names_are_refused(admin, world):
    response = admin.post("/admin/categories", data={"name": "health", "office": ""})
    assert response.status_code == 200 and "already exists" in text(response)
    response = admin.post(f"/admin/categories/{world['land'].id}", data={"name": "HEALTH", "office": ""})
    assert response.status_code == 200 and "already exists" in text(response)
    assert fresh(Category, id=world["land"].id).name == "Land services"
    assert db.session.scalar(sa.select(sa.func.count(Category.id))) == 2


@pytest.mark.parametrize(
    ("q", "found", "missing"),
    [
        ("senior", ["senior@x.gov"], ["officer@x.gov"]),  # by name or email
        ("GAZIPUR", ["officer@x.gov", "officer2@x.gov"], ["senior@x.gov"]),  # by office name, any case
        ("100%_", [], ["officer@x.gov"]),  # LIKE wildcards are plain characters
    ],
)
def test_admin_searches_users(admin, q, found, missing):
    page = text(admin.get("/admin/users", query_string={"q": q}))
    assert f'name="q" value="{q}"' in page
    for email in found:
        assert f"<td>{email}</td>" in page
    for email in missing:
        assert f"<td>{email}</td>" not in page
    assert f"{len(found)} user" in page
