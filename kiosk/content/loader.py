"""Load a content folder into a Catalog: all of it, validated, or nothing."""

from __future__ import annotations

from pathlib import Path

from kiosk import PROJECT_DIR
from kiosk.content.model import Catalog
from kiosk.content.problems import ContentError
from kiosk.content.validation import validate_folder

EMBEDDED_CONTENT_DIR = PROJECT_DIR / "content"


def load_catalog(folder: Path) -> Catalog:
    """The folder's content, or ContentError listing every problem; never a partial catalog."""
    report = validate_folder(folder)
    if report.catalog is None:
        raise ContentError(str(folder), report.problems)
    return report.catalog
