"""Forgot password: a signed, expiring, single-use link by email, and the same answer for unknown addresses."""

import re
import time

import sqlalchemy as sa
from flask_babel import force_locale, gettext
from itsdangerous.timed import TimestampSigner

from forum.extensions import db
from forum.models import MailOutbox
from tests.conftest import PASSWORD

NEW_PASSWORD = "Brand-new-river-42"


def ask(client, email: str):
    return client.post("/forgot-password", data={"email": email}, follow_redirects=True)


def reset_mails() -> list[MailOutbox]:
    db.session.expire_all()
    return db.session.scalars(sa.select(MailOutbox).where(MailOutbox.kind == "password_reset")).all()


def link_path(mail: MailOutbox) -> str:
    return re.search(r"https?://[^/\s]+(/reset-password/\S+)", mail.text_body).group(1)


def choose(client, path: str, password: str, repeat: str | None = None):
    data = {"password": password, "password2": repeat or password}
    return client.post(path, data=data, follow_redirects=True)


def can_log_in(app, email: str, password: str) -> bool:
    response = app.test_client().post("/login", data={"email": email, "password": password})
    return response.status_code == 302


def test_the_login_page_links_to_forgot_password(client):
    assert 'href="/forgot-password"' in client.get("/login").get_data(as_text=True)


def test_a_known_and_an_unknown_email_get_the_same_answer_and_only_the_account_gets_mail(client, world):
    known = ask(client, "Officer@X.gov").get_data(as_text=True)
    unknown = ask(client, "nobody@x.gov").get_data(as_text=True)
    message = "If an active account uses that email, a link to choose a new password is on its way."
    assert message in known and message in unknown
    mails = reset_mails()
    assert [m.to_addr for m in mails] == ["officer@x.gov"]
    assert "Reset your PSI Forum password" == mails[0].subject
    assert link_path(mails[0]) in mails[0].html_body and "Officer One" in mails[0].text_body


def test_the_link_sets_a_new_password_once_and_ends_other_sessions(app, client, world, client_for):
    elsewhere = client_for(world["officer"])
    assert elsewhere.get("/profile").status_code == 200
    ask(client, "officer@x.gov")
    path = link_path(reset_mails()[0])
    weak = choose(client, path, "password").get_data(as_text=True)
    assert 'aria-invalid="true"' in weak and "Choose a new password" in weak
    mismatch = choose(client, path, NEW_PASSWORD, "Other-pass-9876").get_data(as_text=True)
    assert 'aria-invalid="true"' in mismatch
    done = choose(client, path, NEW_PASSWORD).get_data(as_text=True)
    assert "Your password is changed." in done
    assert can_log_in(app, "officer@x.gov", NEW_PASSWORD) and not can_log_in(app, "officer@x.gov", PASSWORD)
    assert elsewhere.get("/profile").status_code == 302  # the other session ended
    again = client.get(path)
    assert again.status_code == 404
    assert "This reset link has expired or was already used." in again.get_data(as_text=True)


def test_an_expired_or_forged_link_is_refused(client, world, monkeypatch):
    three_hours_ago = int(time.time()) - 3 * 3600
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: three_hours_ago)
    ask(client, "officer@x.gov")
    monkeypatch.undo()
    path = link_path(reset_mails()[0])
    for url in (path, path[:-3] + "abc", "/reset-password/nonsense"):
        response = client.get(url)
        assert response.status_code == 404 and 'action="/forgot-password"' in response.get_data(as_text=True)


def test_a_pending_account_gets_no_link(client, world, make_user):
    make_user(email="waiting@x.gov", status="pending")
    ask(client, "waiting@x.gov")
    assert reset_mails() == []


def test_the_mail_is_in_the_readers_language(app, client, world):
    world["officer"].locale = "bn"
    db.session.commit()
    ask(client, "officer@x.gov")  # asked from an English page
    with app.test_request_context(), force_locale("bn"):
        greeting = gettext("Hello %(name)s,", name="Officer One")
    assert re.search("[\u0980-\u09ff]", greeting)
    assert reset_mails()[0].text_body.startswith(greeting)
