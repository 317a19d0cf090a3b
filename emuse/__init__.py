"""eMuse: recognise a person's mood from their face and recommend songs for it.

The package holds all logic, split by domain: :mod:`emuse.vision` (faces and
emotions), :mod:`emuse.music` (playlists, Spotify, recommendations),
:mod:`emuse.history` (the mood database), :mod:`emuse.training` (FER2013 training
and evaluation). Only :mod:`emuse.ui` imports Streamlit. Importing this package
has no side effects: the process-wide setup is :mod:`emuse.ui.runtime` (server)
and :mod:`emuse.quiet` (log levels).
"""

__version__ = "0.1.0"
