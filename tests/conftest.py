"""Fixtures shared by the test modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.libreoffice import Office, skip_unless_available


@pytest.fixture(scope="session")
def office() -> Iterator[Office]:
    """One headless LibreOffice for the whole session (skipped where it is not installed,
    a failure under CI). Tests close the documents they open."""
    skip_unless_available()
    with Office.start() as running:
        yield running
