"""The kiosk's own persistent state (TinyDB). Imports no Kivy."""
