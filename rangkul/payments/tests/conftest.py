from __future__ import annotations

from collections.abc import Iterator

import pytest

from rangkul.payments.gateways import SandboxStatusCheck


@pytest.fixture(autouse=True)
def _sandbox_gateway() -> Iterator[None]:
    """Each test starts with a gateway that knows no transaction."""
    SandboxStatusCheck.clear()
    yield
    SandboxStatusCheck.clear()
