"""Content model, loading and validation. Imports no Kivy."""
