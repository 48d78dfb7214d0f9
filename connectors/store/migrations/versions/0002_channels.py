"""Messaging channels: a question waiting for the person's location, and the delivery state of sent messages.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("waiting", sa.Text))
        batch.add_column(sa.Column("waiting_at", sa.Float))
    op.create_table(
        "deliveries",
        sa.Column("ref", sa.String(200), primary_key=True),
        sa.Column("turn_id", sa.String(200), nullable=False),
        sa.Column("user_key", sa.String(80), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_deliveries_turn_id", "deliveries", ["turn_id"])
    op.create_index("ix_deliveries_user_key", "deliveries", ["user_key"])


def downgrade() -> None:
    op.drop_table("deliveries")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("waiting_at")
        batch.drop_column("waiting")
