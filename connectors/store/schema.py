"""The relational schema of the state store (the Alembic migrations create exactly this)."""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, LargeBinary, MetaData, String, Table, Text

metadata = MetaData()

users = Table(
    "users", metadata,
    Column("user_key", String(80), primary_key=True),
    Column("channel", String(32), nullable=False),
    Column("language", String(8)),
    Column("audience", String(16)),
    Column("lat", Float),
    Column("lon", Float),
    Column("location_at", Float),
    Column("waiting", Text),
    Column("waiting_at", Float),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

turns = Table(
    "turns", metadata,
    Column("id", String(200), primary_key=True),
    Column("user_key", String(80), nullable=False, index=True),
    Column("channel", String(32), nullable=False),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("language", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("answerer", String(32), nullable=False),
    Column("audience", String(16)),
    Column("citations", Text, nullable=False),
    Column("redirect", Text),
    Column("timings", Text, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("created_at", Float, nullable=False, index=True),
)

feedback = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("turn_id", String(200), nullable=False, index=True),
    Column("user_key", String(80), nullable=False, index=True),
    Column("value", Integer, nullable=False),
    Column("comment", Text, nullable=False, default=""),
    Column("created_at", Float, nullable=False),
)

redirects = Table(
    "redirects", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("turn_id", String(200), nullable=False, index=True),
    Column("user_key", String(80), nullable=False, index=True),
    Column("partner", String(64), nullable=False),
    Column("url", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

deliveries = Table(
    "deliveries", metadata,
    Column("ref", String(200), primary_key=True),  # the platform's id of a sent message (Twilio's MessageSid)
    Column("turn_id", String(200), nullable=False, index=True),
    Column("user_key", String(80), nullable=False, index=True),
    Column("channel", String(32), nullable=False),
    Column("status", String(32), nullable=False),  # sent, delivered, read, failed, undelivered…
    Column("detail", Text, nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

ingestion_state = Table(
    "ingestion_state", metadata,
    Column("source_id", String(200), primary_key=True),
    Column("last_run_at", Float, nullable=False),
    Column("status", String(16), nullable=False),
    Column("detail", Text, nullable=False, default=""),
)

# The learning loop's content gaps: questions answered badly, grouped by meaning (core/gaps.py).
gaps = Table(
    "gaps", metadata,
    Column("id", String(40), primary_key=True),
    Column("status", String(16), nullable=False),  # open | closed
    Column("partner", String(64)),  # who owns the topic (the router's choice for its first question)
    Column("centroid", LargeBinary, nullable=False),  # the normalised mean of its questions' vectors, float32
    Column("count", Integer, nullable=False),
    Column("answered_well", Integer, nullable=False, default=0),  # similar questions answered well since
    Column("first_seen", Float, nullable=False),
    Column("last_seen", Float, nullable=False, index=True),
    Column("needs", Text, nullable=False, default=""),  # its questions' needs (core.intents), space-separated
)

gap_questions = Table(
    "gap_questions", metadata,
    Column("turn_id", String(200), primary_key=True),
    Column("gap_id", String(40), nullable=False, index=True),
    Column("user_key", String(80), nullable=False, index=True),
    Column("question", Text, nullable=False),
    Column("language", String(8), nullable=False),
    Column("audience", String(16)),
    Column("channel", String(32), nullable=False),
    Column("commune", String(120)),
    Column("reason", String(32), nullable=False),  # abstained | low_confidence | declined | thumbs_down
    Column("created_at", Float, nullable=False),
)

# Teaching: answers partners wrote for what the sources did not hold, and their review (core/teaching.py).
lessons = Table(
    "lessons", metadata,
    Column("id", String(40), primary_key=True),
    Column("status", String(16), nullable=False),  # pending | approved | rejected | withdrawn
    Column("partner", String(64), nullable=False),
    Column("question", Text, nullable=False),  # the question it answers, as the partner states it
    Column("answer", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("gap_id", String(40)),
    Column("turn_id", String(200)),
    Column("author", String(80), nullable=False, index=True),  # pseudonymous key, or cli:<name>
    Column("reviewer", String(80)),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False, index=True),
)

lesson_changes = Table(
    "lesson_changes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("lesson_id", String(40), nullable=False, index=True),
    Column("actor", String(80), nullable=False, index=True),
    Column("action", String(16), nullable=False),  # proposed | edited | approved | rejected | withdrawn
    Column("before", Text),  # the lesson as JSON before the change (None when proposed)
    Column("after", Text, nullable=False),
    Column("at", Float, nullable=False),
)

# Jobs that run once per period across every process (the weekly digest): claimed with a conditional update.
schedule = Table(
    "schedule", metadata,
    Column("name", String(64), primary_key=True),
    Column("last_run_at", Float, nullable=False),
)

# The dashboard's people (bots/web): the agency's admins and partners' staff, with argon2 password hashes, and their
# sessions (only a hash of each session token is kept).
web_users = Table(
    "web_users", metadata,
    Column("name", String(80), primary_key=True),
    Column("role", String(16), nullable=False),  # admin | partner
    Column("partner", String(64)),  # the partner a partner's account sees
    Column("password_hash", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

web_sessions = Table(
    "web_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("name", String(80), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
)
