"""Alembic's migration scripts for the store, and the comparison options they share.

A package, so that ``pip install .`` ships ``env.py`` and ``versions/``. ``env.py``
configures autogenerate with :data:`COMPARE`; :mod:`gateway.store.migrate` uses the same
options to check that a legacy store really holds the schema it is about to stamp.
"""

from __future__ import annotations

from typing import Any

# The old migrations' bookkeeping (store/legacy.py); kept in adopted stores so that the
# previous release still starts after a rollback, and never part of the metadata.
LEGACY_TABLES = frozenset({"schema_migrations"})


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Leave the legacy bookkeeping out of autogenerate's comparison."""
    return not (type_ == "table" and name in LEGACY_TABLES)


COMPARE: dict[str, Any] = {
    "include_name": include_name,
    "compare_type": True,
    "compare_server_default": True,
}
