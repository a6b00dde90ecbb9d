"""Real keys, real release folders and a real data dir for the update tests."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiosk.content.loader import EMBEDDED_CONTENT_DIR
from kiosk.updates.importer import FolderSource, UpdateResult, record_refusal, update_from
from kiosk.updates.keys import generate_key
from kiosk.updates.layout import DataDirLayout
from kiosk.updates.publish import PublishedRelease, publish
from kiosk.updates.refusal import UpdateRefused
from kiosk.updates.releases import ReleaseStore
from kiosk.updates.trust import TrustStore


@dataclass
class Office:
    """The office side: a key pair, a content folder staff edit, and a release folder (stick)."""

    key: Path
    public_key: Path
    content: Path
    stick: Path  # what `kiosk publish --out` writes: <stick root>/kiosk-content

    def publish(self, **kwargs: object) -> PublishedRelease:
        return publish(self.content, self.key, self.stick, **kwargs)  # type: ignore[arg-type]

    def edit_topic_title(self, title: str) -> None:
        path = self.content / "topics.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        data["topics"][0]["title"]["de"] = title
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


@dataclass
class Kiosk:
    """The kiosk side: a data dir that trusts the office key."""

    data_dir: Path

    @property
    def layout(self) -> DataDirLayout:
        return DataDirLayout(self.data_dir)

    @property
    def releases(self) -> ReleaseStore:
        return ReleaseStore(self.layout.releases)

    def import_(self, source: Path) -> UpdateResult:
        """What `kiosk import` does: refusals of the source itself are recorded too."""
        try:
            folder = FolderSource(source)
        except UpdateRefused as refusal:
            record_refusal(self.data_dir, str(source), "usb", refusal)
            raise
        return update_from(folder, self.data_dir, lock_timeout=30)

    def active_version(self) -> int | None:
        active = self.releases.active()
        return active.version if active else None

    def active_title(self) -> str:
        active = self.releases.active()
        assert active is not None
        data = json.loads((active.content_dir / "topics.json").read_text(encoding="utf-8"))
        return str(data["topics"][0]["title"]["de"])


def make_office(root: Path, name: str = "buero") -> Office:
    keys = root / f"keys-{name}"
    key, public_key = generate_key(keys, name)
    content = root / f"content-{name}"
    shutil.copytree(EMBEDDED_CONTENT_DIR, content)
    return Office(key, public_key, content, root / f"stick-{name}" / "kiosk-content")


@pytest.fixture
def office(tmp_path: Path) -> Office:
    return make_office(tmp_path)


@pytest.fixture
def kiosk(tmp_path: Path, office: Office) -> Kiosk:
    data_dir = tmp_path / "data"
    TrustStore(DataDirLayout(data_dir)).add_key(office.public_key)
    return Kiosk(data_dir)
