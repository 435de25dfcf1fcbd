"""WSGI entry point: ``gunicorn wsgi:app``."""

from consult import create_app, settle_heap

app = create_app()
settle_heap()
