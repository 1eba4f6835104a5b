"""Metrics, their multiprocess files, the access log and logging setup.

Imported by the app factory, ``api``, ``pipeline``, ``gunicorn.conf.py``'s hooks and
the CLI (logging setup) only. This file imports nothing: ``gunicorn.conf.py`` imports
``metrics_files`` in the master before prometheus_client may be loaded (see ``metrics``).

Imports go one way: ``metrics`` -> ``instruments`` -> ``samples``, ``metrics_files``;
``metrics`` -> ``samples``. ``samples`` imports no prometheus_client.
"""
