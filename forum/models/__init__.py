"""Every table of the forum, one module per feature area; import them from here (`from forum.models import Idea`).

Importing this package registers every table on `db.metadata`, which Alembic's autogenerate and
`db.create_all` need. A new table goes in its area's module (or a new one) and is re-exported below.
"""

from forum.models.accounts import ROLES, USER_STATUSES, ApiToken, Office, User
from forum.models.followup import FLAG_KINDS, Flag, FlagEvent, Holiday
from forum.models.ideas import (
    CLOSED_REASONS,
    IDEA_STATUSES,
    Category,
    Comment,
    Endorsement,
    Follow,
    Idea,
    Mention,
    Tag,
    idea_tags,
)
from forum.models.jobs import CacheVersion, JobLease
from forum.models.lifecycle import ADOPTION_STATUSES, Adoption, IdeaStatusChange
from forum.models.mail import EmailPreference, MailOutbox
from forum.models.notifications import Notification
from forum.models.search import SavedSearch, SavedSearchTerm, SearchOutbox
from forum.models.types import UTCDateTime, render_migration_item, utcnow

__all__ = [
    "ADOPTION_STATUSES",
    "CLOSED_REASONS",
    "FLAG_KINDS",
    "IDEA_STATUSES",
    "ROLES",
    "USER_STATUSES",
    "Adoption",
    "ApiToken",
    "CacheVersion",
    "Category",
    "Comment",
    "EmailPreference",
    "Endorsement",
    "Flag",
    "FlagEvent",
    "Follow",
    "Holiday",
    "Idea",
    "IdeaStatusChange",
    "JobLease",
    "MailOutbox",
    "Mention",
    "Notification",
    "Office",
    "SavedSearch",
    "SavedSearchTerm",
    "SearchOutbox",
    "Tag",
    "UTCDateTime",
    "User",
    "idea_tags",
    "render_migration_item",
    "utcnow",
]
