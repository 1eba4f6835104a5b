"""The store: the only code that knows SQL or Redis.

One schema (:mod:`.tables`, SQLAlchemy Core) and one migration history
(:mod:`.migrations`, Alembic) for SQLite and PostgreSQL; :mod:`.engine` builds the
engine that ``GATEWAY_DATABASE_URL`` names and :mod:`.migrate` brings a database to
the head revision, adopting a store made by the old migrations (:mod:`.legacy`, frozen).
"""
