"""Top-level commands: create-office, create-category, create-user, seed-demo."""

from datetime import timedelta

import click
import sqlalchemy as sa
from flask import Blueprint

from forum.accounts import service as accounts
from forum.domain_errors import ValidationError
from forum.extensions import db
from forum.ideas import service as ideas
from forum.lifecycle import service as lifecycle
from forum.models import ROLES, Category, Idea, IdeaStatusChange, Office, User, utcnow

bp = Blueprint("cli", __name__, cli_group=None)


def _commit_or_fail(action):
    try:
        result = action()
        db.session.commit()
        return result
    except ValidationError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc


@bp.cli.command("create-office")
@click.option("--code", required=True, help="Unique short code, e.g. MOLAND.")
@click.option("--name", required=True)
@click.option("--parent", default=None, help="Code of the parent office; omit for a top-level office.")
def create_office(code: str, name: str, parent: str | None) -> None:
    """Add an office to the office tree."""
    office = _commit_or_fail(lambda: accounts.create_office(code, name, parent))
    click.echo(f"Created office {office.code} ({office.name})")


@bp.cli.command("create-category")
@click.option("--name", required=True)
@click.option("--office", default=None, help="Code of the office that owns the category.")
def create_category(name: str, office: str | None) -> None:
    """Add an idea category."""
    category = _commit_or_fail(lambda: ideas.create_category(name, office))
    click.echo(f"Created category {category.id} ({category.name})")


@bp.cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--office", required=True, help="Code of the user's office.")
@click.option("--password", required=True)
def create_user(email: str, name: str, role: str, office: str, password: str) -> None:
    """Add an active user."""
    user = _commit_or_fail(lambda: accounts.create_user(email, name, role, office, password))
    click.echo(f"Created {user.role} {user.email}")


DEMO_PASSWORD = "demo-pass-123"
DEMO_OFFICES = [
    ("CABINET", "Cabinet Division", None),
    ("MOPA", "Ministry of Public Administration", "CABINET"),
    ("MOLAND", "Ministry of Land", "CABINET"),
    ("MOHFW", "Ministry of Health and Family Welfare", "CABINET"),
    ("DHAKA-DIV", "Dhaka Division", "MOPA"),
    ("GAZIPUR", "Gazipur District", "DHAKA-DIV"),
    ("KALIAKAIR", "Kaliakair Upazila", "GAZIPUR"),
]
DEMO_CATEGORIES = [
    ("Land services", "MOLAND"),
    ("Health", "MOHFW"),
    ("Education", "MOPA"),
    ("Disaster management", "CABINET"),
]
DEMO_USERS = [
    ("admin@psi.example.gov", "Ayesha Rahman", "admin", "CABINET", "System administrator"),
    ("staff@psi.example.gov", "Tanvir Hossain", "staff", "CABINET", "Programme officer, a2i"),
    ("secretary@psi.example.gov", "Dr. Kamal Uddin", "senior", "MOLAND", "Secretary, Ministry of Land"),
    ("dc@psi.example.gov", "Nasrin Akter", "senior", "GAZIPUR", "Deputy Commissioner"),
    ("officer@psi.example.gov", "Rafiq Islam", "officer", "KALIAKAIR", "Upazila Nirbahi Officer"),
    ("officer2@psi.example.gov", "Farhana Chowdhury", "officer", "GAZIPUR", "Assistant Commissioner (Land)"),
]
DEMO_IDEAS = [
    (
        "officer@psi.example.gov",
        "Online mutation (namjari) status by SMS",
        "Citizens visit the land office three or four times to check on a **mutation case**. "
        "An SMS at each step (received, hearing date, approved) would save those trips.\n\n"
        "- reuse the e-mutation case number\n- send through the existing SMS gateway",
        "Land services",
        ["land", "sms"],
        [
            ("dc@psi.example.gov", "Good idea. Gazipur can pilot this next quarter.", None),
            ("officer2@psi.example.gov", "Our office would join the pilot.", 0),
            # The responsible office's answer (Land services belongs to the Ministry of Land): it stops the
            # follow-up clock, so the impact report has a post -> answer -> decision story to show.
            ("secretary@psi.example.gov", "The Ministry will cost this with the e-mutation team.", None),
        ],
    ),
    (
        "officer2@psi.example.gov",
        "উপজেলা স্বাস্থ্য কমপ্লেক্সে অনলাইন সিরিয়াল",
        "রোগীরা ভোর থেকে লাইনে দাঁড়ান। একটি সহজ **অনলাইন সিরিয়াল** ব্যবস্থা এই উদ্ভাবন অপেক্ষার সময় কমাবে।",
        "Health",
        ["health", "উদ্ভাবন"],
        [("officer@psi.example.gov", "আমাদের উপজেলাতেও এটা দরকার।", None)],
    ),
    (
        "officer@psi.example.gov",
        "Flood early warning through union parishad loudspeakers",
        "Link the Flood Forecasting and Warning Centre bulletins to the loudspeakers of each union parishad.",
        "Disaster management",
        ["flood", "warning"],
        [],
    ),
]


# Where each demo idea stands, so the lifecycle, the adoptions and the impact report have something to show:
# (days ago it was posted, [(days after posting, who, status, note, reason)], [(days after, who, office, status)]).
DEMO_STORIES = {
    "Online mutation (namjari) status by SMS": (
        75,
        [
            (6, "secretary@psi.example.gov", "under_review", "Sent to the e-mutation team for costing.", None),
            (14, "secretary@psi.example.gov", "piloting", "Pilot in Kaliakair Upazila for six weeks.", None),
            (48, "staff@psi.example.gov", "implemented", "Pilot cut visits from 3.4 to 1.2 per case.", None),
        ],
        [(58, "dc@psi.example.gov", "GAZIPUR", "running")],
    ),
    "উপজেলা স্বাস্থ্য কমপ্লেক্সে অনলাইন সিরিয়াল": (
        30,
        [(9, "staff@psi.example.gov", "under_review", "Forwarded to the health directorate.", None)],
        [],
    ),
    "Flood early warning through union parishad loudspeakers": (12, [], []),
}


def _demo_story(idea: Idea, users: dict, comments: list) -> list:
    """Back-date a new demo idea and walk it through its DEMO_STORIES lifecycle; returns its comments."""
    days_ago, moves, adoptions = DEMO_STORIES.get(idea.title, (0, [], []))
    posted = utcnow() - timedelta(days=days_ago)
    idea.created_at = posted
    db.session.execute(sa.update(IdeaStatusChange).where(IdeaStatusChange.idea_id == idea.id).values(at=posted))
    made: list = []
    for i, (commenter, text, parent_index) in enumerate(comments):
        parent_id = made[parent_index].id if parent_index is not None else None
        at = posted + timedelta(days=3 + i, hours=2)
        made.append(ideas.add_comment(idea, users[commenter], text, parent_id, now=at))
    for days, who, status, note, reason in moves:
        lifecycle.change_status(idea, users[who], status, note, reason, now=posted + timedelta(days=days))
    for days, who, office, status in adoptions:
        at = posted + timedelta(days=days)
        adoption = lifecycle.adopt(idea, users[who], office, "We are doing this here too.", now=at)
        lifecycle.update_adoption(adoption, users[who], status, now=at + timedelta(days=7))
    return made


@bp.cli.command("seed-demo")
def seed_demo() -> None:
    """Create demo offices, categories, users and ideas; running it again changes nothing."""
    created = 0
    for code, name, parent in DEMO_OFFICES:
        if db.session.scalar(sa.select(Office.id).where(Office.code == code)) is None:
            accounts.create_office(code, name, parent)
            created += 1
    for name, office in DEMO_CATEGORIES:
        if db.session.scalar(sa.select(Category.id).where(Category.name == name)) is None:
            ideas.create_category(name, office)
            created += 1
    for email, name, role, office, designation in DEMO_USERS:
        if db.session.scalar(sa.select(User.id).where(User.email == email)) is None:
            accounts.create_user(email, name, role, office, DEMO_PASSWORD, designation=designation)
            created += 1
    users = {u.email: u for u in db.session.scalars(sa.select(User))}
    categories = {c.name: c for c in db.session.scalars(sa.select(Category))}
    for author, title, body, category, tags, comments in DEMO_IDEAS:
        if db.session.scalar(sa.select(Idea.id).where(Idea.title == title)) is not None:
            continue
        idea = ideas.create_idea(users[author], title, body, categories[category].id, tags)
        _demo_story(idea, users, comments)
        created += 1
    db.session.commit()
    click.echo(f"Demo data ready ({created} new records). Demo logins, password '{DEMO_PASSWORD}':")
    for email, _name, role, office, _designation in DEMO_USERS:
        click.echo(f"  {role:8} {email:28} ({office})")
