"""eMuse training (see the module docstrings)."""
