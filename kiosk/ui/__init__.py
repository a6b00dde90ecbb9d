"""The Kivy layer: the only package that imports Kivy."""
