"""The idea lifecycle: moves with owners, reasons and notes; history; duplicates; adoptions; recognition."""

import pytest
import sqlalchemy as sa

from forum.accounts import service as accounts
from forum.extensions import db
from forum.ideas import service as ideas
from forum.models import Adoption, Endorsement, Follow, Idea, IdeaStatusChange, Notification
from tests.conftest import flask_db


@pytest.fixture
def idea(world):
    """An idea by the DIST officer in Health (no owning office): MIN, the parent of DIST, answers for it."""
    made = ideas.create_idea(world["officer"], "Online serial at the health complex", "Body text.", world["health"].id)
    db.session.commit()
    return made


def history_of(idea_id: int) -> list[tuple[str, str | None]]:
    rows = db.session.execute(
        sa.select(IdeaStatusChange.status, IdeaStatusChange.reason)
        .where(IdeaStatusChange.idea_id == idea_id)
        .order_by(IdeaStatusChange.at, IdeaStatusChange.id)
    )
    return [tuple(r) for r in rows]


def move(api, user, idea, **body):
    return api(user).post(f"/ideas/{idea.id}/status", json={"note": "Reviewed in the monthly meeting.", **body})


def test_a_new_idea_starts_its_history_open_by_its_author(idea, world, api):
    items = api(world["officer2"]).get(f"/ideas/{idea.id}/history").get_json()["items"]
    assert [(i["status"], i["by"]["id"]) for i in items] == [("open", world["officer"].id)]


def test_staff_move_an_idea_through_its_stages_and_each_move_is_in_its_history(idea, world, api):
    for status in ("under_review", "piloting", "implemented"):
        response = move(api, world["staff"], idea, status=status)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["status"] == status
    items = api(world["officer"]).get(f"/ideas/{idea.id}/history").get_json()["items"]
    assert [i["status"] for i in items] == ["open", "under_review", "piloting", "implemented"]
    assert items[-1]["note"] == "Reviewed in the monthly meeting."
    assert items[-1]["by"]["name"] == "Staff One" and items[-1]["at"].endswith("+00:00")
    assert {"status", "reason", "note", "by", "at"} <= set(items[-1])


def test_a_senior_of_the_responsible_office_or_above_may_decide_but_not_one_below_it(idea, world, api, make_user):
    below = make_user("senior", "DIST")  # the author's own office, below the responsible MIN
    assert move(api, below, idea, status="under_review").status_code == 403
    assert move(api, world["senior"], idea, status="under_review").status_code == 200  # MIN
    assert move(api, make_user("senior", "ROOT"), idea, status="piloting").status_code == 200  # above MIN
    assert history_of(idea.id) == [("open", None), ("under_review", None), ("piloting", None)]


def test_officers_may_not_move_ideas_and_the_author_may_only_withdraw(idea, world, api):
    assert move(api, world["officer2"], idea, status="under_review").status_code == 403
    assert move(api, world["officer"], idea, status="closed", reason="declined").status_code == 403
    response = move(api, world["officer"], idea, status="closed", reason="withdrawn")
    assert response.status_code == 200
    assert (response.get_json()["status"], response.get_json()["closed_reason"]) == ("closed", "withdrawn")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "replicated"}, "status"),  # not a move from open
        ({"status": "open"}, "status"),  # already open
        ({"status": "finished"}, "status"),
        ({"status": "closed"}, "reason"),
        ({"status": "closed", "reason": "bored"}, "reason"),
        ({"status": "piloting", "reason": "declined"}, "reason"),
        ({"status": "closed", "reason": "duplicate"}, "duplicate_of"),
        ({"status": "closed", "reason": "duplicate", "duplicate_of": 999_999}, "duplicate_of"),
        ({"status": "closed", "reason": "declined", "duplicate_of": 1}, "duplicate_of"),
        ({"status": "piloting", "note": ""}, "note"),
        ({"status": "piloting", "note": "x" * 1001}, "note"),
    ],
)
def test_invalid_moves_are_422_naming_the_field_and_change_nothing(idea, world, api, body, field):
    response = move(api, world["staff"], idea, **body)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["field"] == field
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).status == "open" and history_of(idea.id) == [("open", None)]


def test_an_idea_cannot_be_a_duplicate_of_itself(idea, world, api):
    response = move(api, world["staff"], idea, status="closed", reason="duplicate", duplicate_of=idea.id)
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "duplicate_of"


def test_closing_as_duplicate_links_the_other_idea_and_moves_followers_and_endorsements(idea, world, api):
    original = ideas.create_idea(world["officer2"], "Serial numbers by SMS for patients", "Body.", world["health"].id)
    for user in ("senior", "admin"):
        ideas.endorse(idea, world[user])
        ideas.follow(idea, world[user])
    ideas.endorse(original, world["admin"])  # already there: counted once
    db.session.commit()
    response = move(api, world["staff"], idea, status="closed", reason="duplicate", duplicate_of=original.reference)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["duplicate_of"] == original.id
    db.session.expire_all()
    followers = set(db.session.scalars(sa.select(Follow.user_id).where(Follow.idea_id == original.id)))
    assert followers == {world["officer2"].id, world["officer"].id, world["senior"].id, world["admin"].id}
    assert db.session.scalar(sa.select(sa.func.count()).where(Endorsement.idea_id == idea.id)) == 0
    assert db.session.get(Idea, original.id).endorsement_count == 2
    assert db.session.get(Idea, idea.id).endorsement_count == 0
    assert history_of(idea.id)[-1] == ("closed", "duplicate")
    page = api(world["officer"]).get(f"/ideas/{idea.id}/history").get_json()["items"][-1]
    assert page["duplicate_of"] == original.id


def test_the_author_is_told_when_someone_moves_their_idea(idea, world, api):
    move(api, world["senior"], idea, status="under_review")
    kinds = db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == world["officer"].id))
    assert "status" in set(kinds)


def test_the_idea_page_shows_the_timeline_and_only_allowed_users_get_the_move_form(idea, world, auth, client):
    ideas.set_idea_status(idea, world["staff"], "under_review", "Sent to the health directorate.")
    db.session.commit()
    auth.login("officer2@x.gov")
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert 'id="lifecycle"' in page and "Sent to the health directorate." in page
    assert "Move this idea" not in page
    auth.logout()
    auth.login("senior@x.gov")
    assert "Move this idea" in client.get(f"/ideas/{idea.id}").get_data(as_text=True)


def test_the_page_form_moves_the_idea_and_shows_a_bad_move_as_a_message(idea, world, auth, client):
    auth.login("senior@x.gov")
    response = client.post(f"/ideas/{idea.id}/status", data={"status": "closed", "reason": "", "note": "No."})
    assert response.status_code == 302
    assert "reason must be one of" in client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    client.post(f"/ideas/{idea.id}/status", data={"status": "piloting", "reason": "", "note": "Pilot in Gazipur."})
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).status == "piloting"


# Adoptions -----------------------------------------------------------------------------------------------


@pytest.fixture
def implemented(idea, world):
    ideas.set_idea_status(idea, world["staff"], "implemented", "Running in Gazipur.")
    accounts.create_office("UPZ", "Kaliakair Upazila", "DIST")
    accounts.create_office("MIN2", "Ministry of Health", "ROOT")
    db.session.commit()
    return idea


def test_an_open_idea_cannot_be_adopted(idea, world, api):
    response = api(world["senior"]).post(f"/ideas/{idea.id}/adoptions", json={"office": "MIN", "note": "Us too."})
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "status"


def test_another_office_adopts_an_implemented_idea_and_its_author_and_office_are_told(
    implemented, world, api, make_user
):
    dist_senior = make_user("senior", "DIST")
    response = api(world["senior"]).post(
        f"/ideas/{implemented.id}/adoptions", json={"office": "MIN", "note": "We are doing this too."}
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert {"id", "office", "status", "note", "created_at"} <= set(body)
    assert (body["office"], body["status"], body["note"]) == ("MIN", "started", "We are doing this too.")
    told = set(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "adoption")))
    assert told == {world["officer"].id, dist_senior.id}
    items = api(world["officer"]).get(f"/ideas/{implemented.id}/adoptions").get_json()["items"]
    assert [i["office"] for i in items] == ["MIN"]


def test_adoptions_are_checked(implemented, world, api, make_user):
    url = f"/ideas/{implemented.id}/adoptions"
    own = api(world["officer2"]).post(url, json={"office": "DIST", "note": "x"})
    assert own.status_code == 422 and own.get_json()["error"]["field"] == "office"
    assert api(world["officer"]).post(url, json={"office": "MIN2", "note": "x"}).status_code == 403
    assert api(world["officer"]).post(url, json={"office": "NOPE", "note": "x"}).status_code == 422
    assert api(world["staff"]).post(url, json={"office": "MIN2", "note": "x"}).status_code == 201
    again = api(world["staff"]).post(url, json={"office": "MIN2", "note": "x"})
    assert again.status_code == 422 and again.get_json()["error"]["field"] == "office"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Adoption)) == 1


def test_the_idea_becomes_replicated_when_a_second_office_runs_it(implemented, world, api, make_user):
    upazila = make_user("officer", "UPZ")
    adoption = api(upazila).post(f"/ideas/{implemented.id}/adoptions", json={"office": "UPZ", "note": "Trying it."})
    adoption_id = adoption.get_json()["id"]
    started = api(world["officer"]).get(f"/ideas/{implemented.id}").get_json()
    assert started["status"] == "implemented"
    response = api(upazila).patch(f"/ideas/{implemented.id}/adoptions/{adoption_id}", json={"status": "running"})
    assert response.status_code == 200 and response.get_json()["status"] == "running"
    assert api(world["officer"]).get(f"/ideas/{implemented.id}").get_json()["status"] == "replicated"
    assert history_of(implemented.id)[-1] == ("replicated", None)
    stranger = api(world["officer2"]).patch(
        f"/ideas/{implemented.id}/adoptions/{adoption_id}", json={"status": "dropped"}
    )
    assert stranger.status_code == 403


def test_the_idea_page_shows_where_it_has_spread_by_office_tree(implemented, world, auth, client, api, make_user):
    upazila = make_user("officer", "UPZ")
    api(upazila).post(f"/ideas/{implemented.id}/adoptions", json={"office": "UPZ", "note": "Trying it."})
    auth.login("officer2@x.gov")
    page = client.get(f"/ideas/{implemented.id}").get_data(as_text=True)
    spread = page[page.index('class="spread"') :]
    assert spread.index("Cabinet Division") < spread.index("Gazipur District") < spread.index("Kaliakair Upazila")
    assert "Adopted by 1 other office" in page


def test_the_page_form_records_an_adoption(implemented, world, auth, client):
    auth.login("senior@x.gov")
    page = client.get(f"/ideas/{implemented.id}").get_data(as_text=True)
    assert "We are doing this too" in page
    client.post(f"/ideas/{implemented.id}/adoptions", data={"adopt-office": "MIN", "adopt-note": "Ministry-wide."})
    assert db.session.scalar(sa.select(Adoption.note)) == "Ministry-wide."


# Recognition ---------------------------------------------------------------------------------------------


def test_a_profile_shows_what_came_of_the_officers_ideas(implemented, world, api, auth, client):
    ideas.add_comment(implemented, world["senior"], "Good work.")
    ideas.create_idea(world["officer"], "A second idea of the officer", "Body.", world["land"].id)
    db.session.commit()
    api(world["senior"]).post(f"/ideas/{implemented.id}/adoptions", json={"office": "MIN", "note": "Us too."})
    auth.login("officer2@x.gov")
    page = client.get(f"/users/{world['officer'].id}").get_data(as_text=True)
    for text in ("2 ideas posted", "1 answered", "0 piloted", "1 implemented", "adopted by 1 office"):
        assert text in page


# Migration -----------------------------------------------------------------------------------------------


@pytest.mark.server  # runs `flask db upgrade` in subprocesses
def test_the_migration_gives_existing_ideas_a_reason_and_a_first_history_row(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    flask_db(url, tmp_path, "upgrade", "eb5455740349")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO offices VALUES (1, 'A', 'A', NULL, '2026-01-01')"))
        conn.execute(sa.text("INSERT INTO categories VALUES (1, 'C', NULL, '2026-01-01')"))
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, name, password_hash, role, office_id, status, designation, "
                "session_version, created_at) VALUES (7, 'a@x', 'A', 'x', 'officer', 1, 'active', '', 1, '2026-01-01')"
            )
        )
        for idea_id, status in ((1, "open"), (2, "closed"), (3, "implemented")):
            conn.execute(
                sa.text(
                    "INSERT INTO ideas (id, reference, title, body, body_html, category_id, office_id, author_id, "
                    "status, created_at, comment_count, endorsement_count, version) "
                    "VALUES (:id, :ref, 't', 'b', 'b', 1, 1, 7, :status, '2026-01-02 10:00:00', 0, 0, 1)"
                ),
                {"id": idea_id, "ref": f"R{idea_id}", "status": status},
            )
    flask_db(url, tmp_path, "upgrade")
    with engine.connect() as conn:
        reasons = dict(conn.execute(sa.text("SELECT id, closed_reason FROM ideas")).all())
        rows = conn.execute(sa.text("SELECT idea_id, status, actor_id FROM idea_status_history ORDER BY id")).all()
    engine.dispose()
    assert reasons == {1: None, 2: "declined", 3: None}
    assert [tuple(r) for r in rows] == [
        (1, "open", 7),
        (2, "open", 7),
        (3, "open", 7),
        (2, "closed", None),
        (3, "implemented", None),
    ]


def test_the_idea_page_shows_what_came_of_the_idea(implemented, world, api, auth, client):
    auth.login("officer2@x.gov")
    page = client.get(f"/ideas/{implemented.id}").get_data(as_text=True)
    outcome = page[page.index('class="outcome"') : page.index("</ul>", page.index('class="outcome"'))]
    assert "Not answered yet" in outcome and "Not piloted" in outcome and "Implemented" in outcome
    assert "Adopted by 0 other offices" in outcome
    ideas.add_comment(implemented, world["senior"], "Well done.")
    adoption = api(world["senior"]).post(
        f"/ideas/{implemented.id}/adoptions", json={"office": "MIN", "note": "Us too."}
    )
    assert adoption.status_code == 201
    db.session.commit()
    page = client.get(f"/ideas/{implemented.id}").get_data(as_text=True)
    outcome = page[page.index('class="outcome"') : page.index("</ul>", page.index('class="outcome"'))]
    assert ">Answered<" in outcome and "Adopted by 1 other office" in outcome
