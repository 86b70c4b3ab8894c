"""Numbers and dates in Bangla digits: a reader's setting, on by default while reading in Bangla."""

import re

import pytest

from forum.extensions import db
from forum.ideas import service as ideas

BANGLA_DIGIT = re.compile("[০-৯]")


@pytest.fixture
def found(world):
    ideas.create_idea(world["officer"], "Ferry timetable idea", "ferry", world["land"].id, [])
    db.session.commit()


def count_line(client) -> str:
    html = client.get("/search", query_string={"q": "ferry"}).get_data(as_text=True)
    return re.search(r'<p class="muted" id="search-count" role="status">(.*?)</p>', html, re.S)[1].strip()


def dates(client) -> list[str]:
    html = client.get("/search", query_string={"q": "ferry"}).get_data(as_text=True)
    return re.findall(r'<time datetime="[^"]+">([^<]+)</time>', html)


@pytest.mark.usefixtures("found")
@pytest.mark.parametrize(
    ("language", "setting", "bangla"),
    [("bn", None, True), ("bn", "latin", False), ("en", None, False), ("en", "bangla", True)],
)
def test_digits_follow_the_setting_else_the_language(world, client_for, language, setting, bangla):
    world["officer"].digits = setting
    db.session.commit()
    client = client_for(world["officer"])
    client.get(f"/lang/{language}")
    line, shown = count_line(client), dates(client)
    assert bool(BANGLA_DIGIT.search(line)) is bangla and bool(re.search("[0-9]", line)) is not bangla, line
    assert shown and all(bool(BANGLA_DIGIT.search(d)) is bangla for d in shown), shown


def test_the_profile_keeps_the_digits_setting(world, client_for):
    client = client_for(world["officer"])
    form = {"name": "Officer One", "designation": "", "locale": "", "timezone": "Asia/Dhaka", "submit": "Save"}
    assert client.post("/profile", data={**form, "digits": "bangla"}).status_code == 302
    db.session.refresh(world["officer"])
    assert world["officer"].digits == "bangla"
    assert re.search(r'<option selected value="bangla">', client.get("/profile").get_data(as_text=True))
    bad = client.post("/profile", data={**form, "digits": "roman"})
    assert bad.status_code == 200 and "digits must be bangla, latin or empty" in bad.get_data(as_text=True)
    client.post("/profile", data={**form, "digits": ""})
    db.session.refresh(world["officer"])
    assert world["officer"].digits is None
