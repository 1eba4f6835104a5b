"""WSGI entry point: ``gunicorn -c gunicorn.conf.py wsgi:app``; ``application`` for mod_wsgi."""

from gateway import create_app

app = application = create_app()
