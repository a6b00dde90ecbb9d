"""Fixtures for content tests: a writable copy of the embedded content."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kiosk.content.loader import EMBEDDED_CONTENT_DIR


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A writable copy of the embedded content, to make one mistake in."""
    destination = tmp_path / "content"
    shutil.copytree(EMBEDDED_CONTENT_DIR, destination)
    return destination
