from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tinydb import TinyDB

from kiosk.store.atomic_storage import AtomicJSONStorage, CorruptStorageError


def temp_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if ".tmp-" in p.name)


def dead_pid() -> int:
    # A process that has exited and been reaped: its pid is free (reuse within the test is
    # vanishingly unlikely).
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_missing_file_reads_as_empty(tmp_path: Path) -> None:
    storage = AtomicJSONStorage(tmp_path / "db.json")

    assert storage.read() is None
    assert not (tmp_path / "db.json").exists()


def test_empty_file_reads_as_empty(tmp_path: Path) -> None:
    (tmp_path / "db.json").write_bytes(b"")

    assert AtomicJSONStorage(tmp_path / "db.json").read() is None


def test_write_is_compact_utf8_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    data = {"settings": {"1": {"key": "greeting", "value": "Grüß Gott"}}}

    AtomicJSONStorage(path).write(data)

    assert path.read_bytes() == '{"settings":{"1":{"key":"greeting","value":"Grüß Gott"}}}'.encode()
    assert AtomicJSONStorage(path).read() == data


def test_write_replaces_the_file_instead_of_rewriting_it(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    storage = AtomicJSONStorage(path)
    storage.write({"t": {"1": {"n": 1}}})
    first_inode = path.stat().st_ino

    storage.write({"t": {"1": {"n": 2}}})

    assert path.stat().st_ino != first_inode
    assert storage.commits == 2
    assert temp_files(tmp_path) == []


def test_unchanged_data_is_not_written_again(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    AtomicJSONStorage(path).write({"t": {"1": {"n": 1}}})
    before = path.stat()

    storage = AtomicJSONStorage(path)
    storage.write({"t": {"1": {"n": 1}}})

    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert storage.commits == 0


def test_batch_makes_one_write(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    storage = AtomicJSONStorage(path)

    with storage.batch():
        for n in range(10):
            storage.write({"t": {"1": {"n": n}}})
            assert storage.read() == {"t": {"1": {"n": n}}}
        assert not path.exists()

    assert storage.commits == 1
    assert json.loads(path.read_bytes()) == {"t": {"1": {"n": 9}}}


def test_batch_left_by_an_exception_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    storage = AtomicJSONStorage(path)
    storage.write({"t": {"1": {"n": 1}}})

    with pytest.raises(RuntimeError), storage.batch():
        storage.write({"t": {"1": {"n": 2}}})
        raise RuntimeError("boom")

    assert storage.read() == {"t": {"1": {"n": 1}}}
    assert json.loads(path.read_bytes()) == {"t": {"1": {"n": 1}}}
    assert storage.commits == 1


def test_tinydb_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    with TinyDB(path, storage=AtomicJSONStorage) as db:
        db.table("things").insert_multiple([{"name": "a"}, {"name": "ä"}])

    with TinyDB(path, storage=AtomicJSONStorage) as db:
        assert [doc["name"] for doc in db.table("things")] == ["a", "ä"]


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    path.write_bytes(b'\xef\xbb\xbf{"t":{"1":{"n":1}}}')

    assert AtomicJSONStorage(path).read() == {"t": {"1": {"n": 1}}}


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b'{"t":{"1":{"n":', json.JSONDecodeError),
        (b"\x00\x9f\x13garbage\xff", UnicodeDecodeError),
        (b'{"t":{"1":{"name":"\xff"}}}', UnicodeDecodeError),
        (b"[1, 2, 3]", CorruptStorageError),
        (b'{"t": [1]}', CorruptStorageError),
        (b'{"t": {"one": {"n": 1}}}', CorruptStorageError),
        (b'{"t": {"1": "text"}}', CorruptStorageError),
    ],
    ids=["truncated", "garbage", "invalid-utf8", "list", "table-list", "doc-id", "doc-text"],
)
def test_unreadable_file_raises_value_error(
    tmp_path: Path, content: bytes, error: type[ValueError]
) -> None:
    path = tmp_path / "db.json"
    path.write_bytes(content)

    with pytest.raises(error):
        AtomicJSONStorage(path).read()
    assert issubclass(error, ValueError)


def test_non_finite_numbers_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    storage = AtomicJSONStorage(path)

    with pytest.raises(ValueError):
        storage.write({"t": {"1": {"n": float("nan")}}})

    assert not path.exists()
    assert temp_files(tmp_path) == []


def test_failed_replace_leaves_old_file_and_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    storage = AtomicJSONStorage(path)
    storage.write({"t": {"1": {"n": 1}}})
    # A directory in the file's place makes the rename fail after the temp file is written.
    path.unlink()
    path.mkdir()

    with pytest.raises(OSError):
        storage.write({"t": {"1": {"n": 2}}})

    assert temp_files(tmp_path) == []
    assert storage.commits == 1


def test_stale_temp_files_are_removed_at_open(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    path.write_bytes(b'{"t":{"1":{"n":1}}}')
    (tmp_path / f".db.json.tmp-{dead_pid()}").write_bytes(b'{"t":{"1"')
    (tmp_path / f".db.json.tmp-{os.getpid()}").write_bytes(b"")
    (tmp_path / f".db.json.tmp-{os.getppid()}").write_bytes(b"")  # a live writer's
    (tmp_path / ".other.json.tmp-1").write_bytes(b"")
    (tmp_path / "notes.txt").write_bytes(b"")

    storage = AtomicJSONStorage(path)

    assert temp_files(tmp_path) == sorted([f".db.json.tmp-{os.getppid()}", ".other.json.tmp-1"])
    assert (tmp_path / "notes.txt").exists()
    assert storage.read() == {"t": {"1": {"n": 1}}}
