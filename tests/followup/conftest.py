"""Fixtures of the follow-up tests: an office tree four levels deep, staff and admin clients, two flags."""

from datetime import timedelta

import pytest

from forum.accounts import service as accounts
from forum.extensions import db
from tests.followup.helpers import FLAG_DUE, POSTED, flag_of, post, run_scan


@pytest.fixture
def app_config(app_config):
    # Flask-SocketIO's test client refuses a message queue; the subprocess tests still use the env's queue.
    return {**app_config, "SOCKETIO_MESSAGE_QUEUE": None}


@pytest.fixture
def tree(world, make_user):
    """ROOT > MIN > DIST > UPZ, with a senior user in each of ROOT, MIN and DIST and an officer in UPZ."""
    accounts.create_office("UPZ", "Kaliakair Upazila", "DIST")
    db.session.commit()
    return {
        **world,
        "upz_officer": make_user("officer", "UPZ"),
        "dist_senior": make_user("senior", "DIST", designation="Deputy Commissioner"),
        "root_senior": make_user("senior", "ROOT", designation="Cabinet Secretary"),
    }


@pytest.fixture
def staff_client(world, client_for):
    return client_for(world["staff"])


@pytest.fixture
def admin_client(world, client_for):
    return client_for(world["admin"])


@pytest.fixture
def flagged(tree, runner):
    """Two ideas flagged at level 0: a Health one (on DIST) and a Land one (on MIN)."""
    idea = post(tree["upz_officer"], tree["health"])
    land = post(tree["upz_officer"], tree["land"], POSTED + timedelta(hours=1), title="Land idea for the API")
    run_scan(runner, FLAG_DUE)
    return {"idea": idea, "land": land, "flag": flag_of(idea)}
