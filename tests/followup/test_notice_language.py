"""Follow-up, status and adoption notices are phrased in the reader's language when shown, from stored facts."""

from datetime import timedelta

from flask_babel import force_locale

from forum.extensions import db
from forum.followup import flags
from forum.lifecycle import service as lifecycle
from forum.mail.compose import write_notification
from forum.mail.links import MailSite
from forum.notifications.text import from_params, render
from tests.followup.helpers import FLAG_DUE, flag_of, notes, post, run_scan


def phrased(app, note, locale: str) -> str:
    with app.test_request_context(), force_locale(locale):
        return render(note)


def test_a_flag_notice_reads_in_the_readers_language_whoever_ran_the_scan(app, tree, runner):
    tree["dist_senior"].locale = "bn"
    idea = post(tree["upz_officer"], tree["health"])
    run_scan(runner, FLAG_DUE)
    (note,) = notes(tree["dist_senior"], "flag_raised")
    assert "has had no senior response" in note.text  # the stored fallback is English
    bangla, english = phrased(app, note, "bn"), phrased(app, note, "en")
    assert "কর্মদিবসেও কোনো ঊর্ধ্বতন কর্মকর্তার উত্তর পায়নি" in bangla and "Gazipur District" in bangla
    assert idea.reference in bangla and "has had no" not in bangla
    assert english == note.text


def test_a_flag_email_to_a_bangla_reader_is_bangla_to_its_footer(app, tree, runner):
    tree["dist_senior"].locale = "bn"
    post(tree["upz_officer"], tree["health"])
    run_scan(runner, FLAG_DUE)
    (note,) = notes(tree["dist_senior"], "flag_raised")
    with app.test_request_context():
        written = write_notification(db.session, note, "flag", MailSite.from_config(app.config))
    assert "এই ইমেইল বন্ধ করুন" in written.text and "সব ইমেইল সেটিংস" in written.text
    assert "Stop these emails" not in written.text and "All email settings" not in written.text


def test_a_staff_escalation_names_who_did_it_and_their_note_in_the_readers_language(app, tree, runner):
    tree["senior"].locale = "bn"
    idea = post(tree["upz_officer"], tree["health"])
    run_scan(runner, FLAG_DUE)
    flags.escalate_flag(flag_of(idea), tree["staff"], "please look", FLAG_DUE + timedelta(hours=1))
    db.session.commit()
    (note,) = notes(tree["senior"], "flag_escalated")
    bangla = phrased(app, note, "bn")
    assert "Staff One" in bangla and "ঊর্ধ্বতন পর্যায়ে পাঠিয়েছেন" in bangla and "মন্তব্য: please look" in bangla


def test_a_status_move_names_the_new_status_in_the_readers_words(app, tree):
    idea = post(tree["upz_officer"], tree["health"])
    lifecycle.change_status(idea, tree["senior"], "under_review", "Looking at the costs")
    db.session.commit()
    (note,) = notes(tree["upz_officer"], "status")
    bangla = phrased(app, note, "bn")
    assert "পর্যালোচনাধীন" in bangla and "Looking at the costs" in bangla and "moved your idea" not in bangla
    assert "moved your idea" in phrased(app, note, "en")


def test_an_adoption_and_a_batch_of_flags_are_phrased_from_their_facts(app, tree):
    idea = post(tree["upz_officer"], tree["health"])
    with app.test_request_context(), force_locale("bn"):
        adoption = from_params("adoption", {"office": "Kaliakair Upazila"}, idea)
        batch = from_params("flag_raised", {"count": 12, "office": "Ministry of Land", "clock": "stalled"}, None)
    assert adoption == f"Kaliakair Upazila “{idea.title}” ({idea.reference}) গ্রহণ করছে।"
    assert "12টি ধারণা Ministry of Land-এ ফ্ল্যাগ করা হয়েছে" in batch and "সিদ্ধান্ত" in batch
