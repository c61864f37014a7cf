"""Read by gunicorn when started from the project folder; the settings live in config/gunicorn.py."""

from config.gunicorn import *  # noqa: F403
