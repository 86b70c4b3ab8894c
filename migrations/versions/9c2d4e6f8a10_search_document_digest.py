"""PostgreSQL search documents carry the digest of their source fields; nothing on SQLite

Revision ID: 9c2d4e6f8a10
Revises: b7c1d2e3f4a5
Create Date: 2026-11-30 19:25:00

`flask search check` compares it with a digest of the post as the database holds
it, to find entries not updated after an edit. Rows without one (written before
this revision) count as stale and are rewritten by the check or a reindex.
"""
from alembic import op
import sqlalchemy as sa


revision = '9c2d4e6f8a10'
down_revision = 'b7c1d2e3f4a5'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.add_column('search_documents', sa.Column('digest', sa.String(length=32), nullable=True))


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_column('search_documents', 'digest')
