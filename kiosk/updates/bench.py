"""`kiosk bench-updates`: import speed and sync transfer sizes, measured on real files and HTTP.

1. A release of 200 images (about 200 MB) is imported from a local folder: MB/s.
2. The same release is served by an HTTP server on 127.0.0.1 and synced; then one image is
   changed and published again: bytes of that sync (the image plus metadata).
3. A poll when nothing changed: bytes on the wire.

Bytes are counted at the server, response headers included.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kiosk.content.loader import EMBEDDED_CONTENT_DIR
from kiosk.updates.importer import FolderSource, HttpSource, Limits, update_from
from kiosk.updates.keys import generate_key
from kiosk.updates.layout import DataDirLayout
from kiosk.updates.publish import publish
from kiosk.updates.trust import TrustStore

IMPORT_TARGET_MB_S = 50.0
CHANGE_METADATA_TARGET = 64 * 1024
POLL_TARGET = 16 * 1024
BENCH_LIMITS = Limits(max_total_bytes=1 << 30)


def write_noise_png(path: Path, seed: int, side: int = 580) -> None:
    """A PNG of random pixels (about 1 MB: incompressible, like a photo)."""
    from PIL import Image

    pixels = bytearray(os.urandom(side * side * 3))
    pixels[:8] = seed.to_bytes(8, "big")
    Image.frombytes("RGB", (side, side), bytes(pixels)).save(path, compress_level=1)


class _CountingHandler(http.server.SimpleHTTPRequestHandler):
    counter: dict[str, int]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def send_response(self, code: int, message: str | None = None) -> None:
        self.counter["requests"] += 1
        super().send_response(code, message)

    def end_headers(self) -> None:
        buffered = getattr(self, "_headers_buffer", [])
        self.counter["bytes"] += sum(len(line) for line in buffered) + 2
        super().end_headers()

    def copyfile(self, source: Any, outputfile: Any) -> None:
        data = source.read()
        self.counter["bytes"] += len(data)
        outputfile.write(data)


@contextmanager
def serve(folder: Path) -> Iterator[tuple[str, dict[str, int]]]:
    counter = {"requests": 0, "bytes": 0}
    handler = functools.partial(
        type("Handler", (_CountingHandler,), {"counter": counter}), directory=str(folder)
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", counter
    finally:
        server.shutdown()
        server.server_close()


def measure(images: int = 200, rounds: int = 3) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-updates-") as temp:
        root = Path(temp)
        key, public_key = generate_key(root / "keys")
        content = root / "content"
        shutil.copytree(EMBEDDED_CONTENT_DIR, content)
        gallery = content / "images" / "gallery"
        gallery.mkdir()
        for index in range(images):
            write_noise_png(gallery / f"bild-{index:03d}.png", index)
        stick = root / "stick" / "kiosk-content"
        release = publish(content, key, stick)
        size_mb = release.total_bytes / 1e6

        def fresh_kiosk(name: str) -> Path:
            data_dir = root / name
            TrustStore(DataDirLayout(data_dir)).add_key(public_key)
            return data_dir

        import_seconds = []
        for index in range(rounds):
            data_dir = fresh_kiosk(f"import-{index}")
            started = time.perf_counter()
            update_from(FolderSource(stick), data_dir, limits=BENCH_LIMITS)
            import_seconds.append(time.perf_counter() - started)
            shutil.rmtree(data_dir)
        median_import = statistics.median(import_seconds)

        data_dir = fresh_kiosk("synced")
        with serve(stick.parent) as (url, counter):
            source_url = url + "kiosk-content/"
            update_from(HttpSource(source_url), data_dir, limits=BENCH_LIMITS)
            full_sync = counter["bytes"]
            changed = gallery / "bild-100.png"
            write_noise_png(changed, 10_000)
            publish(content, key, stick)
            before = dict(counter)
            result = update_from(HttpSource(source_url), data_dir, limits=BENCH_LIMITS)
            change_bytes = counter["bytes"] - before["bytes"]
            change_requests = counter["requests"] - before["requests"]
            before = dict(counter)
            update_from(HttpSource(source_url), data_dir, limits=BENCH_LIMITS)
            poll_bytes = counter["bytes"] - before["bytes"]
            poll_requests = counter["requests"] - before["requests"]
        image_bytes = changed.stat().st_size
        return {
            "release_files": release.files,
            "release_mb": round(size_mb, 1),
            "import_seconds": [round(s, 3) for s in import_seconds],
            "import_mb_per_s": round(size_mb / median_import, 1),
            "full_sync_bytes": full_sync,
            "change_sync_bytes": change_bytes,
            "change_sync_requests": change_requests,
            "change_sync_files_fetched": result.files_fetched,
            "changed_image_bytes": image_bytes,
            "change_metadata_bytes": change_bytes - image_bytes,
            "poll_bytes": poll_bytes,
            "poll_requests": poll_requests,
        }


def verdicts(figures: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    return [
        (
            "import from a local folder",
            f"{figures['import_mb_per_s']} MB/s ({figures['release_mb']} MB)",
            f">= {IMPORT_TARGET_MB_S:.0f} MB/s",
            figures["import_mb_per_s"] >= IMPORT_TARGET_MB_S,
        ),
        (
            "sync after one image changed",
            f"{figures['change_sync_bytes']} B = image {figures['changed_image_bytes']} B"
            f" + {figures['change_metadata_bytes']} B, {figures['change_sync_requests']} requests",
            "image + <= 64 KiB",
            figures["change_metadata_bytes"] <= CHANGE_METADATA_TARGET
            and figures["change_sync_files_fetched"] == 1,
        ),
        (
            "poll with nothing changed",
            f"{figures['poll_bytes']} B, {figures['poll_requests']} request(s)",
            "<= 16 KiB",
            figures["poll_bytes"] <= POLL_TARGET,
        ),
    ]


def run_update_bench(as_json: bool, rounds: int, images: int) -> int:
    figures = measure(images=images, rounds=rounds)
    rows = verdicts(figures)
    if as_json:
        figures["pass"] = {name: ok for name, _, _, ok in rows}
        print(json.dumps(figures, indent=2))
    else:
        for name, value, target, ok in rows:
            print(f"{name:30} {value:60} {target:18} {'PASS' if ok else 'FAIL'}")
        runs = ", ".join(f"{seconds:.2f}" for seconds in figures["import_seconds"])
        print(f"import runs: {runs} s; first full sync {figures['full_sync_bytes']} B")
        print("(the release was just written, so the import reads it from the page cache:")
        print(" a USB 2 stick itself delivers 20-40 MB/s)")
    return 0 if all(ok for *_, ok in rows) else 1
