from alembic import context

import server.models  # noqa: F401  (the central-only tables)
from clinic.migrate import run_migrations

run_migrations(context)
