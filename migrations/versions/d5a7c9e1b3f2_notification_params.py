"""notifications keep the facts their sentence needs, to phrase it in the reader's language when shown

Revision ID: d5a7c9e1b3f2
Revises: 3f1a5c7e9b24
Create Date: 2026-11-30 20:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd5a7c9e1b3f2'
down_revision = '3f1a5c7e9b24'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('notifications', sa.Column('params', sa.JSON(), nullable=True))


def downgrade():
    op.drop_column('notifications', 'params')
