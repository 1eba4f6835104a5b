"""Routing: the config tree, its plan, conditions, retries and strategies.

Pure: no IO, no Flask, no requests, no sqlite3 (``tests/unit/test_layers.py``).
The clock, sleep, randomness and the upstream call are passed in by the caller,
so every routing decision is deterministic under test.
"""
