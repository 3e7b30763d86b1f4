"""Jinja templates for every word the app says (see bot/words.py)."""
