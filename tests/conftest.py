"""Kivy must be configured before its first import, for every test module that uses it."""

import os

for key in ("KIVY_NO_ARGS", "KIVY_NO_CONFIG", "KIVY_NO_FILELOG", "KIVY_NO_CONSOLELOG"):
    os.environ.setdefault(key, "1")
# Mesa EGL renders offscreen; no X server needed. ("dummy" makes Kivy fall back to X11.)
os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_METRICS_DENSITY", "1")
