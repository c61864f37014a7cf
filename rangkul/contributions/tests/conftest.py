from __future__ import annotations

import pytest

from rangkul.contributions.rules import rulebook_cache_clear


@pytest.fixture(autouse=True)
def _fresh_rulebooks():
    """Rule rows roll back with each test; the in-process rule-book cache must not outlive them."""
    rulebook_cache_clear()
    yield
    rulebook_cache_clear()
