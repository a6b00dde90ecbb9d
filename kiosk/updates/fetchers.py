"""How release files are read: from a folder (a USB stick) or from a web server.

Both plug into python-tuf's FetcherInterface, so one verification path serves both sources.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import urllib3
from tuf.api import exceptions
from tuf.ngclient import Urllib3Fetcher
from tuf.ngclient.fetcher import FetcherInterface

from kiosk.updates.layout import unsafe_path_reason

FOLDER_SCHEME = "kiosk-folder:"
CHUNK_BYTES = 1 << 20
# A stalled server is given up after this long without a byte, and a sync that drips data
# slower than MIN_BYTES_PER_SECOND for longer than GRACE_SECONDS is given up too.
SOCKET_TIMEOUT_SECONDS = 30.0
MIN_BYTES_PER_SECOND = 2048
GRACE_SECONDS = 60.0


class UnsafeFileError(exceptions.DownloadError):
    """A file on the stick that is not a plain file below the release folder.

    `what` is a key of refusal.FILE_KINDS ("symlink", "fifo", "device", ...).
    """

    def __init__(self, path: str, what: str) -> None:
        self.path = path
        self.what = what
        super().__init__(f"{path}: {what}")


class FolderFetcher(FetcherInterface):
    """Reads `kiosk-folder:<relative path>` below one folder, and nothing else.

    Every path component is opened relative to its parent with O_NOFOLLOW, so a symlink
    anywhere (to /etc/shadow, to a device, to another folder) is refused rather than followed;
    the final file must be a regular file (a FIFO would block the import forever, a device
    would never end). Missing files raise a 404-like error, as a web server would.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bytes_read = 0

    def _fetch(self, url: str) -> Iterator[bytes]:
        if not url.startswith(FOLDER_SCHEME):
            raise exceptions.DownloadError(f"not a folder address: {url}")
        relative = url.removeprefix(FOLDER_SCHEME).lstrip("/")
        reason = unsafe_path_reason(relative)
        if reason:
            raise UnsafeFileError(relative, "bad_name")
        fd = self._open(relative)
        return self._chunks(fd)

    def _open(self, relative: str) -> int:
        flags_dir = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            dir_fd = os.open(self.root, flags_dir)
        except OSError as exc:
            raise _open_error(relative, exc, self.root) from None
        try:
            parts = relative.split("/")
            for part in parts[:-1]:
                try:
                    next_fd = os.open(part, flags_dir, dir_fd=dir_fd)
                except OSError as exc:
                    raise _open_error(relative, exc, Path(part)) from None
                os.close(dir_fd)
                dir_fd = next_fd
            try:
                # O_NONBLOCK: opening a FIFO must not wait for a writer.
                flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
                fd = os.open(parts[-1], flags, dir_fd=dir_fd)
            except OSError as exc:
                raise _open_error(relative, exc, Path(parts[-1])) from None
        finally:
            os.close(dir_fd)
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            os.close(fd)
            raise UnsafeFileError(relative, _kind(mode))
        return fd

    def _chunks(self, fd: int) -> Iterator[bytes]:
        try:
            while True:
                try:
                    chunk = os.read(fd, CHUNK_BYTES)
                except OSError as exc:  # e.g. EIO: the stick was pulled out
                    raise exceptions.DownloadError(f"read error: {exc.strerror}") from exc
                if not chunk:
                    return
                self.bytes_read += len(chunk)
                yield chunk
        finally:
            os.close(fd)


def _open_error(relative: str, exc: OSError, part: Path) -> exceptions.DownloadError:
    if exc.errno == errno.ENOENT:
        return exceptions.DownloadHTTPError(f"{relative} not found", 404)
    if exc.errno in (errno.ELOOP, errno.ENOTDIR):
        # O_NOFOLLOW on a symlink gives ELOOP (file) or ENOTDIR (with O_DIRECTORY)
        return UnsafeFileError(relative, "symlink")
    return exceptions.DownloadError(f"{relative}: {exc.strerror}")


def _kind(mode: int) -> str:
    """A key of refusal.FILE_KINDS."""
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISDIR(mode):
        return "folder"
    return "other"


class HttpFetcher(Urllib3Fetcher):
    """python-tuf's urllib3 fetcher, counting bytes and giving up on drip-fed downloads.

    urllib3's timeout already ends a connection with no byte for `socket_timeout` seconds;
    a server that sends one byte every few seconds would still hold an update for hours, so
    each request also has to average MIN_BYTES_PER_SECOND once GRACE_SECONDS have passed.
    """

    def __init__(
        self,
        socket_timeout: float = SOCKET_TIMEOUT_SECONDS,
        min_bytes_per_second: float = MIN_BYTES_PER_SECOND,
        grace_seconds: float = GRACE_SECONDS,
        app_user_agent: str | None = None,
    ) -> None:
        super().__init__(
            socket_timeout=socket_timeout,  # type: ignore[arg-type]
            chunk_size=CHUNK_BYTES,
            app_user_agent=app_user_agent,
        )
        self.min_bytes_per_second = min_bytes_per_second
        self.grace_seconds = grace_seconds
        self.bytes_received = 0
        self.requests = 0

    def _fetch(self, url: str) -> Iterator[bytes]:
        self.requests += 1
        # Called eagerly, so connection errors surface in fetch() (which wraps them as
        # DownloadError); errors while streaming are wrapped by _measured().
        try:
            chunks = super()._fetch(url)
        except exceptions.SlowRetrievalError as exc:
            # urllib3 2 makes "connection refused" and DNS failures a kind of connect timeout;
            # staff need to hear "cannot reach the server", not "it stalled".
            reason = getattr(exc.__cause__, "reason", None)
            if isinstance(reason, urllib3.exceptions.NewConnectionError):
                raise exceptions.DownloadError(f"{url}: {reason}") from reason
            raise
        return self._measured(url, chunks)

    def _chunks(self, response: urllib3.response.BaseHTTPResponse) -> Iterator[bytes]:
        """Yield what has arrived, not 1 MiB at a time: a full-chunk read would let a server
        that drips a byte now and then pass both the gap timeout and the rate check."""
        try:
            while chunk := response.read1(self.chunk_size):
                yield chunk
        except urllib3.exceptions.TimeoutError as exc:
            raise exceptions.SlowRetrievalError(str(exc)) from exc
        finally:
            response.release_conn()

    def _measured(self, url: str, chunks: Iterator[bytes]) -> Iterator[bytes]:
        started = time.monotonic()
        received = 0
        try:
            for chunk in chunks:
                received += len(chunk)
                self.bytes_received += len(chunk)
                elapsed = time.monotonic() - started
                if elapsed > self.grace_seconds and received < elapsed * self.min_bytes_per_second:
                    raise exceptions.SlowRetrievalError(
                        f"{received} bytes in {elapsed:.0f} s from {url}"
                    )
                yield chunk
        except exceptions.DownloadError:
            raise
        except urllib3.exceptions.HTTPError as exc:
            # e.g. the server closed the connection before the announced length
            raise exceptions.DownloadError(f"{url}: {exc}") from exc
