"""Teaching: lessons partners write, their audit trail, and once-per-period jobs; the needs of a content gap.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("gaps", sa.Column("needs", sa.Text, nullable=False, server_default=""))
    op.create_table(
        "lessons",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("partner", sa.String(64), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("gap_id", sa.String(40)),
        sa.Column("turn_id", sa.String(200)),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("reviewer", sa.String(80)),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_lessons_author", "lessons", ["author"])
    op.create_index("ix_lessons_updated_at", "lessons", ["updated_at"])
    op.create_table(
        "lesson_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("lesson_id", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("before", sa.Text),
        sa.Column("after", sa.Text, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("ix_lesson_changes_lesson_id", "lesson_changes", ["lesson_id"])
    op.create_index("ix_lesson_changes_actor", "lesson_changes", ["actor"])
    op.create_table(
        "schedule",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("last_run_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("schedule")
    op.drop_table("lesson_changes")
    op.drop_table("lessons")
    op.drop_column("gaps", "needs")
