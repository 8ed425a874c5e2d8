"""device scope: the roles a device serves, the users who logged in on it

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 04:20:00
"""
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import clinic.db
from clinic.enums import Role

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Devices enrolled before roles existed keep serving everyone.
    every_role = json.dumps([r.value for r in Role])
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('roles', sa.JSON(), nullable=False, server_default=sa.text(f"'{every_role}'"))
        )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.alter_column('roles', server_default=None)
    op.create_table('device_users',
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('first_login_at', clinic.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_device_users_device_id_devices')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_device_users_user_id_users')),
    sa.PrimaryKeyConstraint('device_id', 'user_id', name=op.f('pk_device_users')),
    info={'store': 'central'}
    )
    # Who already pushed from a device has logged in on it.
    op.execute(
        "INSERT INTO device_users (device_id, user_id, first_login_at)"
        " SELECT DISTINCT r.device_id, r.user_id, min(r.issued_at) FROM refresh_tokens r"
        " JOIN devices d ON d.id = r.device_id JOIN users u ON u.id = r.user_id"
        " GROUP BY r.device_id, r.user_id"
    )


    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.alter_column('winning_value', existing_type=sa.JSON(), nullable=True)
        batch_op.alter_column('losing_value', existing_type=sa.JSON(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.alter_column('losing_value', existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column('winning_value', existing_type=sa.JSON(), nullable=False)
    op.drop_table('device_users')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_column('roles')
