"""Initial state schema: users, turns, feedback, redirects, ingestion state.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("user_key", sa.String(80), primary_key=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8)),
        sa.Column("audience", sa.String(16)),
        sa.Column("lat", sa.Float),
        sa.Column("lon", sa.Float),
        sa.Column("location_at", sa.Float),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "turns",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("user_key", sa.String(80), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("answerer", sa.String(32), nullable=False),
        sa.Column("audience", sa.String(16)),
        sa.Column("citations", sa.Text, nullable=False),
        sa.Column("redirect", sa.Text),
        sa.Column("timings", sa.Text, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_turns_user_key", "turns", ["user_key"])
    op.create_index("ix_turns_created_at", "turns", ["created_at"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("turn_id", sa.String(200), nullable=False),
        sa.Column("user_key", sa.String(80), nullable=False),
        sa.Column("value", sa.Integer, nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_feedback_turn_id", "feedback", ["turn_id"])
    op.create_index("ix_feedback_user_key", "feedback", ["user_key"])
    op.create_table(
        "redirects",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("turn_id", sa.String(200), nullable=False),
        sa.Column("user_key", sa.String(80), nullable=False),
        sa.Column("partner", sa.String(64), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_redirects_turn_id", "redirects", ["turn_id"])
    op.create_index("ix_redirects_user_key", "redirects", ["user_key"])
    op.create_table(
        "ingestion_state",
        sa.Column("source_id", sa.String(200), primary_key=True),
        sa.Column("last_run_at", sa.Float, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("ingestion_state", "redirects", "feedback", "turns", "users"):
        op.drop_table(table)
