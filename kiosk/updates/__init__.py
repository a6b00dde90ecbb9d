"""Signed content updates: publish, verify (python-tuf), activate atomically. No Kivy."""
