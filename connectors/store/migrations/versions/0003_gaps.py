"""The learning loop's content gaps: badly answered questions, grouped by meaning.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gaps",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("partner", sa.String(64)),
        sa.Column("centroid", sa.LargeBinary, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("answered_well", sa.Integer, nullable=False),
        sa.Column("first_seen", sa.Float, nullable=False),
        sa.Column("last_seen", sa.Float, nullable=False),
    )
    op.create_index("ix_gaps_last_seen", "gaps", ["last_seen"])
    op.create_table(
        "gap_questions",
        sa.Column("turn_id", sa.String(200), primary_key=True),
        sa.Column("gap_id", sa.String(40), nullable=False),
        sa.Column("user_key", sa.String(80), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("audience", sa.String(16)),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("commune", sa.String(120)),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_gap_questions_gap_id", "gap_questions", ["gap_id"])
    op.create_index("ix_gap_questions_user_key", "gap_questions", ["user_key"])


def downgrade() -> None:
    op.drop_table("gap_questions")
    op.drop_table("gaps")
