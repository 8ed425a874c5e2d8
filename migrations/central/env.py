from alembic import context

from clinic.migrate import run_migrations

run_migrations(context)
