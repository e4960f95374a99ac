"""The application as a production server runs it: `gunicorn "coop.wsgi:app"` (each worker imports it)."""

from coop import create_app, settle_garbage_collector

app = create_app()
settle_garbage_collector()
