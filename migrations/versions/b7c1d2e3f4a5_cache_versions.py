"""cache versions: the idea list's version for the rendered-list cache

Revision ID: b7c1d2e3f4a5
Revises: c3d9e1f07a52
Create Date: 2026-11-30 19:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b7c1d2e3f4a5'
down_revision = 'c3d9e1f07a52'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table('cache_versions',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.bulk_insert(table, [{'name': 'idea_list', 'value': 0}])


def downgrade():
    op.drop_table('cache_versions')
