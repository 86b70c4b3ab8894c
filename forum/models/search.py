"""Search: the index outbox and saved searches with their index terms."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.extensions import db
from forum.models.accounts import User
from forum.models.types import UTCDateTime, utcnow


class SearchOutbox(db.Model):
    """Documents whose index entry must be refreshed; written in the same transaction
    as the change, so a crash between commit and indexing heals on the next run."""

    __tablename__ = "search_outbox"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    doc_type: so.Mapped[str] = so.mapped_column(sa.String(16))  # "idea" or "comment"
    doc_id: so.Mapped[int] = so.mapped_column()
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class SavedSearch(db.Model):
    """A user's saved query and filters; with notify, new matching ideas and comments notify its owner."""

    __tablename__ = "saved_searches"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    q: so.Mapped[str] = so.mapped_column(sa.String(500))
    # {"author"?, "office"?, "category"?}: as the search page and API take them.
    filters: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    notify: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    user: so.Mapped[User] = so.relationship()


class SavedSearchTerm(db.Model):
    """One index term of a saved search that notifies: a new post is tested only against the saved
    searches sharing a term with it, never against all of them."""

    __tablename__ = "saved_search_terms"
    saved_search_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("saved_searches.id", ondelete="CASCADE"), primary_key=True
    )
    term: so.Mapped[str] = so.mapped_column(sa.String(200), primary_key=True, index=True)
