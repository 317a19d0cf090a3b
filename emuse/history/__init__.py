"""eMuse history (see the module docstrings)."""
