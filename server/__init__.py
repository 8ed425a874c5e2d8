"""The central API (FastAPI on PostgreSQL). No Qt."""
