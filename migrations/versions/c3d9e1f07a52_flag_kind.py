"""follow-up flags carry a kind: unanswered (the first clock) or stalled (the decision clock)

Revision ID: c3d9e1f07a52
Revises: 7a3f0c2e8d41
Create Date: 2026-11-30 19:15:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c3d9e1f07a52'
down_revision = '7a3f0c2e8d41'
branch_labels = None
depends_on = None

# The initial schema left the UNIQUE(idea_id) constraint unnamed: PostgreSQL named it itself; on SQLite
# the batch copy finds it through this naming convention.
_NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _old_unique_name():
    return "followup_flags_idea_id_key" if op.get_bind().dialect.name == "postgresql" else "uq_followup_flags_idea_id"


def upgrade():
    # Existing flags were all raised by the first clock: they become "unanswered" (the server default).
    with op.batch_alter_table('followup_flags', schema=None, naming_convention=_NAMING) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='unanswered', nullable=False))
        batch_op.drop_constraint(_old_unique_name(), type_='unique')
        batch_op.create_unique_constraint('uq_followup_flags_idea_kind', ['idea_id', 'kind'])
        batch_op.create_index(batch_op.f('ix_followup_flags_idea_id'), ['idea_id'], unique=False)


def downgrade():
    # Keeps each idea's first-clock flag: the old schema had room for one flag per idea.
    op.execute("DELETE FROM followup_flag_events WHERE flag_id IN (SELECT id FROM followup_flags WHERE kind <> 'unanswered')")
    op.execute("DELETE FROM followup_flags WHERE kind <> 'unanswered'")
    with op.batch_alter_table('followup_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followup_flags_idea_id'))
        batch_op.drop_constraint('uq_followup_flags_idea_kind', type_='unique')
        batch_op.create_unique_constraint(_old_unique_name(), ['idea_id'])
        batch_op.drop_column('kind')
