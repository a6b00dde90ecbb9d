"""Crash-test helper, run as a script: writes kiosk state in a tight loop until it is killed."""

from __future__ import annotations

import sys
from pathlib import Path

from kiosk.store.state import open_state


def main() -> None:
    state = open_state(Path(sys.argv[1]))
    # Counted from the flushed screens, not the setting: a kill between the flush and the
    # set_setting leaves the setting one behind, and the next writer must not carry that on.
    flushes = state.usage.totals("screen").get("home", 0)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        # One screen and one topic per flush: after any kill the two totals must still be equal,
        # which shows each flush reached the file whole or not at all.
        state.usage.record("screen", "home")
        state.usage.record("topic", f"topic-{flushes % 40}")
        state.usage.flush()
        flushes += 1
        state.set_setting("flushes", flushes)


if __name__ == "__main__":
    main()
