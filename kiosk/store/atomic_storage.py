"""A TinyDB storage that replaces its file atomically: a crash leaves the old or the new state."""

from __future__ import annotations

import contextlib
import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

_TEMP_INFIX = ".tmp-"
_FSYNC_UNSUPPORTED = (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS)


class CorruptStorageError(ValueError):
    """The storage file exists but does not hold a TinyDB database."""


class AtomicJSONStorage(Storage):
    """TinyDB storage that writes a temp file, fsyncs it and renames it over the old file."""

    # The storage assumes it is its file's only writer: it keeps the file's bytes in memory, so
    # TinyDB's many reads cost no I/O and a write of unchanged bytes can be skipped.
    # Not thread-safe: callers serialise access (KioskState holds a lock).

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__()
        self._path = Path(path)
        # The file's bytes as last read or written; None until first needed.
        self._on_disk: bytes | None = None
        self._batch_depth = 0
        self._batched: bytes | None = None
        self._commits = 0
        self._remove_stale_temp_files()

    @property
    def path(self) -> Path:
        return self._path

    @property
    def commits(self) -> int:
        """How many times this instance has replaced the file (skipped writes do not count)."""
        return self._commits

    def read(self) -> dict[str, dict[str, Any]] | None:
        raw = self._batched if self._batched is not None else self._load()
        if not raw:
            return None
        # Parse afresh on every read: TinyDB mutates what it gets, and a write that fails
        # half-way must not leave the in-memory copy ahead of the file.
        data: dict[str, dict[str, Any]] = _decode(raw)
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
        if self._batch_depth:
            self._batched = raw
        else:
            self._commit(raw)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Collect every write inside the block into one file write at its end.

        If an exception leaves the outermost block, the collected writes are discarded and the
        file keeps its previous content: the batch is all or nothing.
        """
        self._batch_depth += 1
        try:
            yield
        except BaseException:
            if self._batch_depth == 1:
                self._batched = None
            raise
        finally:
            self._batch_depth -= 1
        if self._batch_depth == 0 and self._batched is not None:
            raw, self._batched = self._batched, None
            self._commit(raw)

    def _load(self) -> bytes:
        if self._on_disk is None:
            try:
                raw = self._path.read_bytes()
            except FileNotFoundError:
                raw = b""
            if raw:
                # Check the shape once, on the bytes from disk; later bytes come from TinyDB itself.
                _check_shape(_decode(raw))
            self._on_disk = raw
        return self._on_disk

    def _commit(self, raw: bytes) -> None:
        if raw == self._load():
            return  # an SD card wears with every write; an unchanged state needs none
        write_file_atomically(self._path, raw, temp=self._temp_path(os.getpid()))
        self._on_disk = raw
        self._commits += 1

    def _temp_path(self, pid: int) -> Path:
        return self._path.with_name(f".{self._path.name}{_TEMP_INFIX}{pid}")

    def _remove_stale_temp_files(self) -> None:
        prefix = f".{self._path.name}{_TEMP_INFIX}"
        if not self._path.parent.is_dir():
            return
        for candidate in self._path.parent.iterdir():
            pid_text = candidate.name.removeprefix(prefix)
            if pid_text == candidate.name or not (pid_text.isascii() and pid_text.isdigit()):
                continue
            pid = int(pid_text)
            # A live writer's temp file is about to be renamed; removing it would fail its write.
            if pid == os.getpid() or not _process_alive(pid):
                with contextlib.suppress(FileNotFoundError):
                    candidate.unlink()


def write_file_atomically(path: Path, data: bytes, *, temp: Path | None = None) -> None:
    """Replace ``path`` with ``data`` so that a crash or power cut leaves the old or the new bytes.

    The data is fsynced before the rename and the folder after it: without the second fsync
    the rename itself may be lost on power failure, bringing back the old file.
    """
    temp = temp or path.with_name(f".{path.name}{_TEMP_INFIX}{os.getpid()}")
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    fsync_directory(path.parent)


def fsync_directory(directory: Path) -> None:
    """Make renames and creations inside ``directory`` durable (a no-op where unsupported).

    Some file systems cannot fsync a folder (FUSE ones on USB sticks say EINVAL or ENOTSUP);
    the file itself is synced by then, so that is no failure.
    """
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _FSYNC_UNSUPPORTED:
            raise
    finally:
        os.close(fd)


def _decode(raw: bytes) -> Any:
    # utf-8-sig: a file hand-edited in Windows Notepad starts with a BOM and is still valid.
    return json.loads(raw.decode("utf-8-sig"))


def _check_shape(data: object) -> None:
    if not isinstance(data, dict):
        raise CorruptStorageError(f"expected an object of tables, found {type(data).__name__}")
    for table_name, table in data.items():
        if not isinstance(table, dict):
            raise CorruptStorageError(f"table {table_name!r} is not an object")
        for doc_id, document in table.items():
            try:
                int(doc_id)
            except ValueError:
                raise CorruptStorageError(
                    f"table {table_name!r} has a non-numeric document id {doc_id!r}"
                ) from None
            if not isinstance(document, dict):
                raise CorruptStorageError(f"document {table_name}/{doc_id} is not an object")


def _process_alive(pid: int) -> bool:
    if os.name != "posix":
        # os.kill(pid, 0) on Windows would terminate the process; assume the writer is gone.
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
