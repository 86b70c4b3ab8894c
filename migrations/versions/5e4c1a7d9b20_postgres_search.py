"""PostgreSQL full-text search tables (SEARCH_BACKEND=postgres); nothing on SQLite

Revision ID: 5e4c1a7d9b20
Revises: de46a1ae5b82
Create Date: 2026-11-30 16:40:00

The tables mirror forum/search/pg.py. On SQLite the engine cannot run, so the
revision does nothing there. Fill them with `flask search reindex`.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '5e4c1a7d9b20'
down_revision = 'de46a1ae5b82'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    op.create_table('search_documents',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('doc_id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('office', sa.String(length=64), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('title_tsv', postgresql.TSVECTOR(), nullable=False),
    sa.Column('tsv', postgresql.TSVECTOR(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_index('ix_search_documents_idea_id', 'search_documents', ['idea_id'], unique=False)
    op.create_index('ix_search_documents_tsv', 'search_documents', ['tsv'], unique=False, postgresql_using='gin')
    op.create_index('ix_search_documents_title_tsv', 'search_documents', ['title_tsv'], unique=False,
                    postgresql_using='gin')
    op.create_table('search_words',
    sa.Column('word', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('word')
    )
    op.create_index('ix_search_words_trgm', 'search_words', ['word'], unique=False, postgresql_using='gin',
                    postgresql_ops={'word': 'gin_trgm_ops'})


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_table('search_words')
    op.drop_table('search_documents')
