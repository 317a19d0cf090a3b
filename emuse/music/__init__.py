"""eMuse music (see the module docstrings)."""
