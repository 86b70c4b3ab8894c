"""users choose the digits numbers and dates are shown in (NULL: Bangla digits when reading in Bangla)

Revision ID: b7e2d4c61f35
Revises: 9c2d4e6f8a10
Create Date: 2026-11-30 19:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b7e2d4c61f35'
down_revision = '9c2d4e6f8a10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digits', sa.String(length=8), nullable=True))


def downgrade():
    # Not a batch copy of users: SQLite would drop the table that other tables' foreign keys name.
    op.drop_column('users', 'digits')
