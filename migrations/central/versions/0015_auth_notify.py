"""the central database says when what authenticates a request changes: a
user's row (active, role, branch, deleted, a one-time password) or a
device's revocation, roles, branch or deletion notify the channel
``auth_changes`` (``u:<id>`` or ``d:<id>``) at commit, whichever path wrote
it, so each API process forgets what it keeps of them
(``server.callers``). Central only: PCs authenticate nobody.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 03:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEVICE_CHANGED = (
    "OLD.revoked_at IS DISTINCT FROM NEW.revoked_at"
    " OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at"
    " OR OLD.branch_id IS DISTINCT FROM NEW.branch_id"
    " OR OLD.roles::text IS DISTINCT FROM NEW.roles::text"
)


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION notify_auth_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('auth_changes', TG_ARGV[0] || ':' || OLD.id::text);
            RETURN NULL;
        END
        $$
        """
    )
    # A user's row changes seldom: any change of it. A device's row changes
    # at every push (last seen, clock skew): only what authentication reads.
    op.execute(
        "CREATE TRIGGER users_auth_change AFTER UPDATE OR DELETE ON users"
        " FOR EACH ROW EXECUTE FUNCTION notify_auth_change('u')"
    )
    op.execute(
        "CREATE TRIGGER devices_auth_change AFTER UPDATE ON devices"
        f" FOR EACH ROW WHEN ({DEVICE_CHANGED}) EXECUTE FUNCTION notify_auth_change('d')"
    )
    op.execute(
        "CREATE TRIGGER devices_auth_delete AFTER DELETE ON devices"
        " FOR EACH ROW EXECUTE FUNCTION notify_auth_change('d')"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER devices_auth_delete ON devices")
    op.execute("DROP TRIGGER devices_auth_change ON devices")
    op.execute("DROP TRIGGER users_auth_change ON users")
    op.execute("DROP FUNCTION notify_auth_change()")
