"""The flag page's staff actions need the form's CSRF token (this module's app runs with CSRF on)."""

import pytest

from tests.conftest import csrf_token
from tests.followup.helpers import FLAG_DUE, flag_of, post, run_scan


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def test_escalating_from_the_flag_page_needs_the_csrf_token(tree, runner, staff_client):
    idea = post(tree["upz_officer"], tree["health"])
    run_scan(runner, FLAG_DUE)
    flag_id = flag_of(idea).id
    assert staff_client.post(f"/followup/flags/{flag_id}/escalate", data={}).status_code == 400
    assert flag_of(idea).level == 0
    page = staff_client.get(f"/followup/flags/{flag_id}").get_data(as_text=True)
    token = csrf_token(page, "escalate-csrf_token")
    response = staff_client.post(f"/followup/flags/{flag_id}/escalate", data={"escalate-csrf_token": token})
    assert response.status_code == 302 and flag_of(idea).level == 1
