"""WSGI entry point: ``gunicorn wsgi:app``."""

from consult import create_app, deployment, settle_heap

app = create_app()
deployment.check(app)
settle_heap()
