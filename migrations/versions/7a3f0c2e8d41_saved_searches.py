"""saved searches and their index terms

Revision ID: 7a3f0c2e8d41
Revises: 4845f49d5da6
Create Date: 2026-11-30 17:15:00

"""
from alembic import op
import sqlalchemy as sa


revision = '7a3f0c2e8d41'
down_revision = '4845f49d5da6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('saved_searches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('q', sa.String(length=500), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('notify', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_saved_searches_user_id', 'saved_searches', ['user_id'], unique=False)
    op.create_table('saved_search_terms',
    sa.Column('saved_search_id', sa.Integer(), nullable=False),
    sa.Column('term', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['saved_search_id'], ['saved_searches.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('saved_search_id', 'term')
    )
    op.create_index('ix_saved_search_terms_term', 'saved_search_terms', ['term'], unique=False)


def downgrade():
    op.drop_table('saved_search_terms')
    op.drop_table('saved_searches')
