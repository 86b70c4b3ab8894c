"""Email through a real local SMTP server: immediate emails, preferences, unsubscribe, digests, retries."""

import logging
import os
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from forum.extensions import db
from forum.followup.scan import scan
from forum.ideas import service as ideas
from forum.mail import sender
from forum.mail.digest import Schedule, period_for, send_digests
from forum.mail.links import MailSite, unsubscribe_token
from forum.mail.preferences import update_preferences
from forum.mail.scheduler import run_scheduled_digests
from forum.models import MailOutbox, Notification
from forum.notifications import service as notifications
from tests.followup.helpers import RULES


@pytest.fixture
def app_config(app_config, smtp_server):
    """Send through the test SMTP server, and retry fast."""
    return {
        **app_config,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_server.port,
        "MAIL_RETRY_SECONDS": 0.2,
        "MAIL_POLL_SECONDS": 0.5,
        "MAIL_TIMEOUT": 5,
        "PUBLIC_BASE_URL": "https://forum.example.gov.bd",
        # These tests read each email's content, sent at once; the wait before an email about a post
        # (grouping, skipping what was read) has its own tests below, which set it and drive the clock.
        "MAIL_NOTIFY_DELAY_SECONDS": 0,
    }


def wait_for(condition, timeout: float = 10.0):
    """Poll a real condition until it holds (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def outbox() -> list[tuple[int, bool]]:
    """(attempts, sent) of every outbox row, read in a transaction that ends at once (the sender must write)."""
    rows = [(a, s is not None) for a, s in db.session.execute(sa.select(MailOutbox.attempts, MailOutbox.sent_at))]
    db.session.rollback()
    return rows


def post_idea(author, category, title="Online land mutation for every upazila"):
    idea = ideas.create_idea(author, title, "Let citizens apply online.", category.id)
    db.session.commit()
    return idea


def parts(message) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_a_comment_on_your_idea_is_emailed_as_text_and_html_with_unsubscribe_headers(world, smtp_server):
    idea = post_idea(world["officer"], world["land"])
    ideas.add_comment(idea, world["officer2"], "We tried this in Kaliakair: it works.")
    db.session.commit()
    [message] = smtp_server.to("officer@x.gov")
    assert "Officer Two commented on your idea" in message["Subject"]
    text, html = parts(message)
    assert "We tried this in Kaliakair" in text and "We tried this in Kaliakair" in html
    assert f"https://forum.example.gov.bd/ideas/{idea.id}#c" in text
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith("https://forum.example.gov.bd/mail/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in text


def test_an_official_response_reaches_the_author_and_followers(world, smtp_server, make_user):
    idea = post_idea(world["officer"], world["land"])
    follower = make_user()
    ideas.follow(idea, follower)
    db.session.commit()
    ideas.add_comment(idea, world["senior"], "The ministry will pilot it in Gazipur.")
    db.session.commit()
    for address in ("officer@x.gov", follower.email):
        [message] = smtp_server.to(address)
        assert message["Subject"].startswith("[PSI Forum] Official response from Senior One")
    assert smtp_server.to("senior@x.gov") == []


def test_an_email_is_written_in_the_recipients_language(world, smtp_server):
    world["officer"].locale = "bn"
    db.session.commit()
    idea = post_idea(world["officer"], world["land"])
    ideas.add_comment(idea, world["senior"], "উত্তর দেওয়া হলো।")
    db.session.commit()
    [message] = smtp_server.to("officer@x.gov")
    text, html = parts(message)
    assert message["Subject"].startswith("[পিএসআই ফোরাম]")
    assert '<html lang="bn">' in html and "উত্তর দেওয়া হলো।" in text


def test_dates_in_an_email_are_in_the_recipients_time_zone(world, smtp_server):
    world["officer"].timezone = "America/New_York"
    db.session.commit()
    idea = post_idea(world["officer"], world["land"])
    ideas.add_comment(idea, world["officer2"], "A note", now=datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    db.session.commit()
    text, _ = parts(smtp_server.to("officer@x.gov")[0])
    assert "2026-07-01 08:00" in text  # EDT, UTC-4 in July


def test_a_kind_set_to_never_sends_no_email(world, smtp_server, api):
    response = api(world["officer"]).put("/me/email-preferences", json={"reply": "never"})
    assert response.get_json()["reply"] == "never"
    idea = post_idea(world["officer"], world["land"])
    ideas.add_comment(idea, world["officer2"], "Nice")
    db.session.commit()
    assert smtp_server.to("officer@x.gov") == []


def test_email_preferences_api_answers_defaults_and_takes_any_subset(world, api):
    client = api(world["officer"])
    assert client.get("/me/email-preferences").get_json() == {
        "mention": "immediate",
        "reply": "immediate",
        "official_reply": "immediate",
        "flag": "immediate",
        "digest": "weekly",
    }
    answer = client.put("/me/email-preferences", json={"mention": "daily", "digest": "never"}).get_json()
    assert answer == {
        "mention": "daily",
        "reply": "immediate",
        "official_reply": "immediate",
        "flag": "immediate",
        "digest": "never",
    }
    assert client.get("/me/email-preferences").get_json() == answer


@pytest.mark.parametrize(
    ("body", "field"), [({"mention": "hourly"}, "mention"), ({"sms": "never"}, "sms"), ({"reply": 3}, "reply")]
)
def test_bad_email_preferences_are_refused_naming_the_field_and_change_nothing(world, api, body, field):
    client = api(world["officer"])
    response = client.put("/me/email-preferences", json={"flag": "never", **body})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_field" and field in error["message"]
    assert client.get("/me/email-preferences").get_json()["flag"] == "immediate"


def test_email_preferences_need_a_token(client):
    assert client.get("/api/v1/me/email-preferences").status_code == 401
    assert client.put("/api/v1/me/email-preferences", json={}).status_code == 401


def test_the_unsubscribe_link_works_in_one_click_without_login(world, client, smtp_server):
    idea = post_idea(world["officer"], world["land"])
    ideas.add_comment(idea, world["officer2"], "First")
    db.session.commit()
    url = smtp_server.to("officer@x.gov")[0]["List-Unsubscribe"].strip("<>").replace("https://forum.example.gov.bd", "")
    page = client.get(url)
    assert page.status_code == 200 and "Unsubscribe" in page.get_data(as_text=True)
    assert client.post(url).status_code == 200  # what a mail client's one-click does (RFC 8058)
    ideas.add_comment(idea, world["officer2"], "Second")
    db.session.commit()
    assert len(smtp_server.to("officer@x.gov")) == 1


def test_a_forged_unsubscribe_token_is_refused(world, client):
    token = unsubscribe_token(current_app.config["SECRET_KEY"], world["officer"].id, "reply")
    assert client.post(f"/mail/unsubscribe/{token[:-2]}xx").status_code == 404
    assert client.post("/mail/unsubscribe/not-a-token").status_code == 404


def test_a_post_succeeds_while_the_mail_server_is_down_and_the_email_waits(world, smtp_server, api):
    smtp_server.stop()
    idea = post_idea(world["officer"], world["land"])
    response = api(world["officer2"]).post(f"/ideas/{idea.id}/comments", json={"body": "Still saved"})
    assert response.status_code == 201
    row = db.session.scalar(sa.select(MailOutbox).where(MailOutbox.to_addr == "officer@x.gov"))
    assert row.sent_at is None and row.attempts == 1 and "Error" in row.last_error


def test_the_background_sender_retries_after_an_outage_and_loses_nothing(app, world, smtp_server):
    app.config["MAIL_SYNC"] = False
    smtp_server.stop()
    idea = post_idea(world["officer"], world["land"])
    for n in range(3):
        ideas.add_comment(idea, world["officer2"], f"Comment {n} during the outage")
        db.session.commit()
    try:
        # Each email fails at least once while the server is down...
        wait_for(lambda: len(outbox()) == 3 and all(attempts >= 1 for attempts, _ in outbox()))
        assert smtp_server.messages == []
        smtp_server.start()
        # ...and arrives once it is back, exactly once each.
        wait_for(lambda: len(smtp_server.to("officer@x.gov")) == 3)
        wait_for(lambda: all(sent for _, sent in outbox()))
    finally:
        sender.sender_for(app).stop()
    bodies = sorted(parts(m)[0] for m in smtp_server.to("officer@x.gov"))
    assert all(f"Comment {n} during the outage" in bodies[n] for n in range(3))
    assert all(attempts >= 2 for attempts, _ in outbox())


def test_retries_back_off_exponentially_up_to_an_hour():
    assert [sender.backoff(n, 60) for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert sender.backoff(30, 60) == 3600


def test_without_a_mail_server_the_email_goes_to_the_log(app, world, smtp_server, caplog):
    app.config["MAIL_SERVER"] = None
    idea = post_idea(world["officer"], world["land"])
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        ideas.add_comment(idea, world["officer2"], "Logged, not sent")
        db.session.commit()
    assert "Logged, not sent" in caplog.text and "To: officer@x.gov" in caplog.text
    assert smtp_server.messages == []
    assert db.session.scalar(sa.select(MailOutbox.sent_at)) is not None


def _overdue_world(world, make_user):
    """Two ideas waiting on MIN: one flagged (overdue), one recent."""
    old = ideas.create_idea(world["officer"], "Old unanswered idea about land", "Body", world["land"].id)
    old.created_at = datetime(2026, 11, 17, 4, 0, tzinfo=UTC)
    new = ideas.create_idea(world["officer"], "Fresh idea about land records", "Body", world["land"].id)
    new.created_at = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
    db.session.commit()
    scan(datetime(2026, 11, 27, 4, 0, tzinfo=UTC), RULES)
    db.session.commit()
    return old, new


def test_the_weekly_digest_lists_ideas_waiting_on_the_office_overdue_first(world, make_user, smtp_server, runner):
    old, new = _overdue_world(world, make_user)
    smtp_server.messages.clear()
    result = runner.invoke(args=["mail", "digest", "--now", "2026-11-30T09:00:00+06:00"])
    assert result.exit_code == 0, result.output
    assert "1 queued" in result.output
    [message] = smtp_server.to("senior@x.gov")
    assert "2 ideas are waiting on Ministry of Land" in message["Subject"]
    text, html = parts(message)
    assert text.index(old.reference) < text.index(new.reference)
    assert "Overdue" in text and f"https://forum.example.gov.bd/ideas/{old.id}" in text
    assert "2026-11-22 to 2026-11-28" in text  # Sunday to Saturday before, local dates
    assert message["List-Unsubscribe"]
    again = runner.invoke(args=["mail", "digest", "--now", "2026-12-02T09:00:00+06:00"])
    assert "0 queued, 1 already sent" in again.output
    assert len(smtp_server.to("senior@x.gov")) == 1


@pytest.mark.parametrize(
    ("locale", "setting", "week", "count"),
    [("bn", None, "২০২৬-১১-২২", "২"), ("bn", "latin", "2026-11-22", "2"), ("en", "bangla", "২০২৬-১১-২২", "২")],
    ids=["bangla-by-default", "bangla-with-latin-digits", "english-with-bangla-digits"],
)
def test_a_digest_writes_dates_and_counts_in_the_digits_the_reader_chose(
    world, make_user, smtp_server, runner, locale, setting, week, count
):
    _overdue_world(world, make_user)
    world["senior"].locale, world["senior"].digits = locale, setting
    db.session.commit()
    smtp_server.messages.clear()
    assert runner.invoke(args=["mail", "digest", "--now", "2026-11-30T09:00:00+06:00"]).exit_code == 0
    [message] = smtp_server.to("senior@x.gov")
    text, html = parts(message)
    assert week in text and week in html  # the week's dates
    other = "2" if count == "২" else "২"
    assert count in message["Subject"] and other not in message["Subject"]  # "2 ideas are waiting"


def test_a_summary_collects_the_kinds_set_to_daily_and_activity_on_followed_ideas(world, smtp_server, make_user):
    reader = make_user()
    update_preferences(reader, {"official_reply": "daily", "digest": "daily"})
    idea = post_idea(world["officer"], world["land"])
    ideas.follow(idea, reader)
    ideas.add_comment(idea, world["officer2"], "Peer", now=datetime(2026, 11, 29, 10, 0, tzinfo=UTC))
    ideas.add_comment(idea, world["senior"], "Official", now=datetime(2026, 11, 29, 11, 0, tzinfo=UTC))
    db.session.commit()
    assert smtp_server.to(reader.email) == []  # daily, not immediate
    for note in db.session.scalars(sa.select(Notification).where(Notification.user_id == reader.id)):
        note.created_at = datetime(2026, 11, 29, 11, 0, tzinfo=UTC)
    db.session.commit()
    result = send_digests(
        datetime(2026, 11, 30, 3, 0, tzinfo=UTC),
        "daily",
        Schedule.from_config(current_app.config),
        MailSite.from_config(current_app.config),
    )
    db.session.commit()
    assert reader.id in result.users
    [message] = smtp_server.to(reader.email)
    text, _ = parts(message)
    assert "Your daily summary" in message["Subject"]
    assert "gave an official response" in text and "2 new comments, 1 official response" in text


def test_digest_periods_follow_local_midnight_even_across_a_dst_change(app):
    app.config["FOLLOWUP_TIMEZONE"] = "Europe/London"
    schedule = Schedule.from_config(app.config)
    period = period_for(
        datetime(2026, 4, 6, 12, 0, tzinfo=UTC), "weekly", schedule
    )  # clocks went forward on 29 March, 01:00
    assert period.start == datetime(2026, 3, 29, 0, 0, tzinfo=UTC)  # GMT midnight
    assert period.end == datetime(2026, 4, 4, 23, 0, tzinfo=UTC)  # BST midnight
    assert period.end - period.start == timedelta(days=7) - timedelta(hours=1)


def test_the_scheduled_digest_runs_once_however_many_processes_tick(app, world, make_user, smtp_server):
    _overdue_world(world, make_user)
    now = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    first = run_scheduled_digests(app, "process-a", 3600, now=now)
    second = run_scheduled_digests(app, "process-b", 3600, now=now)
    assert first is not None and sum(r.queued for r in first) == 1
    assert second is None
    later = run_scheduled_digests(app, "process-a", 3600, now=now + timedelta(hours=1))
    assert sum(r.queued for r in later) == 0


def test_the_profile_page_sets_email_preferences(world, auth, client):
    auth.login("officer@x.gov")
    page = client.get("/profile").get_data(as_text=True)
    assert 'id="email"' in page and 'name="mail-digest"' in page
    response = client.post(
        "/profile",
        data={
            "mail-mention": "weekly",
            "mail-reply": "never",
            "mail-official_reply": "daily",
            "mail-flag": "immediate",
            "mail-digest": "never",
            "mail-submit": "1",
        },
    )
    assert response.status_code == 302
    from forum.mail.preferences import preferences

    assert preferences(world["officer"]) == {
        "mention": "weekly",
        "reply": "never",
        "official_reply": "daily",
        "flag": "immediate",
        "digest": "never",
    }


def test_a_mention_email_reads_at_name_in_text_and_links_the_profile_in_html(world, smtp_server):
    idea = post_idea(world["officer"], world["land"])
    senior = world["senior"]
    body = f"@[Senior One](/users/{senior.id}) please see [the pilot report](https://example.org/pilot)."
    ideas.add_comment(idea, world["officer2"], body)
    db.session.commit()
    [message] = smtp_server.to("senior@x.gov")
    assert message["Subject"].strip() == f"[PSI Forum] Officer Two mentioned you: {idea.title}"
    text, html = parts(message)
    assert "@Senior One please see the pilot report (https://example.org/pilot)." in text
    assert "@[" not in text and "](" not in text and "<a" not in text
    assert f'href="https://forum.example.gov.bd/users/{senior.id}"' in html


def one_email_of_each_kind(world, make_user, smtp_server, runner) -> dict:
    """Mention, reply, official reply, flag, weekly digest and a daily summary (in Bangla), as received."""
    old, _new = _overdue_world(world, make_user)  # the scan's flag reaches the Ministry of Land's senior
    [flag] = smtp_server.to("senior@x.gov")
    reader = make_user()
    reader.locale = "bn"
    update_preferences(reader, {"official_reply": "daily", "digest": "daily"})
    ideas.follow(old, reader)
    senior = world["senior"]
    mention = (
        f"@[Senior One](/users/{senior.id}) could the ministry look at [the Kaliakair pilot](https://example.org/k)?"
    )
    ideas.add_comment(old, world["officer2"], mention, now=datetime(2026, 11, 29, 10, 0, tzinfo=UTC))
    ideas.add_comment(
        old, senior, "The ministry will pilot it in Gazipur.", now=datetime(2026, 11, 29, 11, 0, tzinfo=UTC)
    )
    db.session.commit()
    mentioned = [m for m in smtp_server.to("senior@x.gov") if "mentioned you" in m["Subject"]]
    by_author = smtp_server.to("officer@x.gov")
    reply = [m for m in by_author if "commented on your idea" in m["Subject"]]
    official = [m for m in by_author if "Official response" in m["Subject"]]
    for note in db.session.scalars(sa.select(Notification).where(Notification.user_id == reader.id)):
        note.created_at = datetime(2026, 11, 29, 11, 0, tzinfo=UTC)
    db.session.commit()
    send_digests(
        datetime(2026, 11, 30, 3, 0, tzinfo=UTC),
        "daily",
        Schedule.from_config(current_app.config),
        MailSite.from_config(current_app.config),
    )
    db.session.commit()
    [summary] = smtp_server.to(reader.email)
    smtp_server.messages.clear()
    assert runner.invoke(args=["mail", "digest", "--now", "2026-11-30T09:00:00+06:00"]).exit_code == 0
    [digest] = smtp_server.to("senior@x.gov")
    return {
        "mention": mentioned[0],
        "reply": reply[0],
        "official reply": official[0],
        "flag reaching your office": flag,
        "weekly digest": digest,
        "daily summary of followed ideas (Bangla)": summary,
    }


def test_every_kind_of_email_has_text_and_html_a_one_click_unsubscribe_and_no_markup(
    world, make_user, smtp_server, runner
):
    emails = one_email_of_each_kind(world, make_user, smtp_server, runner)
    for name, message in emails.items():
        text, html = parts(message)
        unsubscribe = message["List-Unsubscribe"].strip("<>")
        assert unsubscribe.startswith("https://forum.example.gov.bd/mail/unsubscribe/"), name
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click", name
        assert unsubscribe in text and unsubscribe in html, name
        assert "@[" not in text and "](" not in text and "<" not in text.replace("<https", ""), name
        assert html.lstrip().lower().startswith("<!doctype html") or "<html" in html, name
    assert (
        "@Senior One could the ministry look at the Kaliakair pilot (https://example.org/k)?"
        in parts(emails["mention"])[0]
    )
    summary_text, summary_html = parts(emails["daily summary of followed ideas (Bangla)"])
    assert (
        '<html lang="bn">' in summary_html
        and "[পিএসআই ফোরাম]" in emails["daily summary of followed ideas (Bangla)"]["Subject"]
    )
    # Bangla to the last line: the notices (phrased for the reader, not stored in English) and the footer.
    assert "দাপ্তরিক উত্তর দিয়েছেন" in summary_text and "gave an official response" not in summary_text
    assert "এই ইমেইল বন্ধ করুন" in summary_text and "Stop these emails" not in summary_text
    # A text copy of each, for the lead's note (MAIL_SAMPLES=path).
    if out := os.environ.get("MAIL_SAMPLES"):
        with open(out, "w", encoding="utf-8") as sample:
            for name, message in emails.items():
                sample.write(f"===== {name} =====\nSubject: {message['Subject']}\nTo: {message['To']}\n")
                sample.write(f"List-Unsubscribe: {message['List-Unsubscribe']}\n\n{parts(message)[0].strip()}\n\n")


# The wait before an email about a post (MAIL_NOTIFY_DELAY_SECONDS), driven by the clock passed to send_due.

WAIT = 120


@pytest.fixture
def waiting(app):
    """Emails about posts wait two minutes, as in production; returns 'a moment `seconds` from now'."""
    app.config["MAIL_NOTIFY_DELAY_SECONDS"] = WAIT
    start = datetime.now(UTC)
    return lambda seconds: start + timedelta(seconds=seconds)


def test_an_email_about_a_reply_waits_before_it_is_sent(app, world, smtp_server, waiting):
    idea = post_idea(world["officer"], world["land"])
    ideas.add_comment(idea, world["officer2"], "Tried it in Kaliakair.")
    db.session.commit()
    assert smtp_server.to("officer@x.gov") == []
    assert sender.send_due(app, now=waiting(WAIT - 30)) == 0
    assert sender.send_due(app, now=waiting(WAIT + 5)) == 1
    [message] = smtp_server.to("officer@x.gov")
    assert "Officer Two commented on your idea" in message["Subject"]


def test_replies_on_one_idea_during_the_wait_arrive_as_one_email(app, world, smtp_server, waiting):
    idea = post_idea(world["officer"], world["land"])
    for n in range(3):
        ideas.add_comment(idea, world["officer2"], f"Reply number {n} from the field")
        db.session.commit()
    assert sender.send_due(app, now=waiting(WAIT + 5)) == 1
    [message] = smtp_server.to("officer@x.gov")
    assert message["Subject"] == f"[PSI Forum] 3 new replies on: {idea.title}"
    text, html = parts(message)
    assert all(f"Reply number {n} from the field" in text and f"Reply number {n}" in html for n in range(3))
    assert text.index("Reply number 0") < text.index("Reply number 2")  # oldest first
    assert message["List-Unsubscribe"].strip("<>") in text


def test_the_count_of_grouped_replies_follows_the_digits_setting_and_the_title_stays_as_written(
    app, world, smtp_server, waiting
):
    world["officer"].digits = "bangla"
    db.session.commit()
    idea = post_idea(world["officer"], world["land"], title="Form 26 online in 2027")
    for n in range(3):
        ideas.add_comment(idea, world["officer2"], f"Reply number {n}")
        db.session.commit()
    assert sender.send_due(app, now=waiting(WAIT + 5)) == 1
    [message] = smtp_server.to("officer@x.gov")
    assert message["Subject"] == "[PSI Forum] ৩ new replies on: Form 26 online in 2027"
    db.session.rollback()  # reading the title began a transaction; the sender must write
    assert sender.pending(app) == 0 and sender.send_due(app, now=waiting(WAIT * 10)) == 0


def test_a_reply_read_on_the_site_during_the_wait_is_not_emailed(app, world, smtp_server, waiting):
    idea = post_idea(world["officer"], world["land"])
    ideas.add_comment(idea, world["officer2"], "Seen on the site first")
    db.session.commit()
    notifications.mark_read(world["officer"])
    db.session.commit()
    assert sender.send_due(app, now=waiting(WAIT + 5)) == 0
    assert smtp_server.to("officer@x.gov") == [] and sender.pending(app) == 0  # dropped, not left waiting


def test_only_the_unread_replies_are_in_the_email(app, world, smtp_server, waiting):
    idea = post_idea(world["officer"], world["land"])
    ideas.add_comment(idea, world["officer2"], "Already read")
    db.session.commit()
    notifications.mark_read(world["officer"])
    for n in range(2):
        ideas.add_comment(idea, world["officer2"], f"Still unread {n}")
    db.session.commit()
    assert sender.send_due(app, now=waiting(WAIT + 5)) == 1
    [message] = smtp_server.to("officer@x.gov")
    text, _ = parts(message)
    assert message["Subject"].startswith("[PSI Forum] 2 new replies on") and "Already read" not in text


def test_replies_on_two_ideas_are_two_emails(app, world, smtp_server, waiting):
    first, second = post_idea(world["officer"], world["land"]), post_idea(world["officer"], world["land"], "Other")
    for idea in (first, second, first):
        ideas.add_comment(idea, world["officer2"], f"On {idea.title}")
    db.session.commit()
    assert sender.send_due(app, now=waiting(WAIT + 5)) == 2
    subjects = sorted(m["Subject"] for m in smtp_server.to("officer@x.gov"))
    assert subjects == sorted(
        [f"[PSI Forum] 2 new replies on: {first.title}", "[PSI Forum] Officer Two commented on your idea: Other"]
    )


def test_a_batch_of_emails_is_claimed_and_recorded_in_two_transactions(app, world, smtp_server, waiting, make_user):
    idea = post_idea(world["officer"], world["land"])
    followers = [make_user() for _ in range(5)]
    for follower in followers:
        ideas.follow(idea, follower)
    ideas.add_comment(idea, world["senior"], "The ministry will pilot it.")
    db.session.commit()
    commits = []

    def count(connection):
        commits.append(connection)

    sa.event.listen(db.engine, "commit", count)
    try:
        assert sender.send_due(app, now=waiting(WAIT + 5)) == 6  # the author and five followers
    finally:
        sa.event.remove(db.engine, "commit", count)
    assert len(commits) == 2
    assert all(smtp_server.to(f.email) for f in followers)
