"""Raw SQL on a database store, as someone with access to the file or the server."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from gateway.store.key_store import DatabaseKeyStore


def execute(store: DatabaseKeyStore, sql: str, **params: Any) -> list[Any]:
    """Run ``sql`` in one write transaction; the rows it returns, if any."""
    with store.database.write() as conn:
        result = conn.execute(text(sql), params)
        return list(result) if result.returns_rows else []
