"""Loaded by pytest (``-p config.testenv`` in pyproject.toml) before pytest-django reads the settings.

The settings module decides its mode from ``RANGKUL_ENV`` when it is imported, which happens
before any conftest.py runs; this plugin makes a bare ``pytest`` run in test mode, as
``make test`` does.
"""

import os

os.environ.setdefault("RANGKUL_ENV", "test")
