"""The credit ledger on the platform: events, issuances, blocks, retirement certificates, head row.

The tables of :mod:`countyzero.credits.ledger` (``organisation_id`` scopes each row to an organisation), its
triggers (no overlapping serial ranges; append-only journal, issuances and retirements; retired and cancelled
blocks final) for SQLite or PostgreSQL, and the head row every ledger write locks first.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from countyzero.credits import ledger

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _range(table: str) -> list[Any]:
    return [sa.Column("standard", sa.String(40), nullable=False), sa.Column("project", sa.String(200), nullable=False),
            sa.Column("vintage", sa.Integer(), nullable=False), sa.Column("first_serial", sa.Integer(), nullable=False),
            sa.Column("last_serial", sa.Integer(), nullable=False),
            sa.CheckConstraint("first_serial >= 1", name=f"ck_{table}_first_serial"),
            sa.CheckConstraint("last_serial >= first_serial", name=f"ck_{table}_last_serial"),
            sa.UniqueConstraint("standard", "project", "vintage", "first_serial", name=f"uq_{table}_first_serial")]


def upgrade() -> None:
    op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_ledger_head_one_row"),
    )
    op.create_table(
        "ledger_event",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("counterparty_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.CheckConstraint("kind IN ('issue', 'transfer', 'retire', 'cancel')", name="ck_ledger_event_kind"),
    )
    op.create_index("ix_ledger_event_organisation_id", "ledger_event", ["organisation_id"])
    op.create_index("ix_ledger_event_counterparty_id", "ledger_event", ["counterparty_id"])
    op.create_table(
        "ledger_issuance",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_seq", sa.Integer(), sa.ForeignKey("ledger_event.seq"), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        *_range("ledger_issuance"),
        sa.Column("account", sa.String(200), nullable=False),
    )
    op.create_table(
        "ledger_retirement",
        sa.Column("certificate", sa.String(20), primary_key=True),
        sa.Column("event_seq", sa.Integer(), sa.ForeignKey("ledger_event.seq"), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        *_range("ledger_retirement"),
        sa.Column("account", sa.String(200), nullable=False),
        sa.Column("beneficiary", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("retired_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_ledger_retirement_organisation_id", "ledger_retirement", ["organisation_id"])
    op.create_table(
        "ledger_block",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        *_range("ledger_block"),
        sa.Column("account", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("certificate", sa.String(20), sa.ForeignKey("ledger_retirement.certificate"), nullable=True,
                  unique=True),
        sa.Column("event_seq", sa.Integer(), sa.ForeignKey("ledger_event.seq"), nullable=False),
        sa.CheckConstraint("status IN ('held', 'retired', 'cancelled')", name="ck_ledger_block_status"),
        sa.CheckConstraint("(status = 'retired' AND certificate IS NOT NULL) OR "
                           "(status <> 'retired' AND certificate IS NULL)", name="ck_ledger_block_certificate"),
    )
    op.create_index("ix_ledger_block_holder", "ledger_block", ["organisation_id", "account", "status"])
    for statement in ledger.schema_ddl(op.get_bind().dialect.name):
        op.execute(statement)
    op.execute(sa.text("INSERT INTO ledger_head (id, seq, hash) VALUES (1, 0, :genesis)").bindparams(
        genesis=ledger.GENESIS))


def downgrade() -> None:
    for table in ("ledger_block", "ledger_retirement", "ledger_issuance", "ledger_event", "ledger_head"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ledger_refuse(), ledger_no_overlap()")
