"""eMuse: recognise a person's mood from their face and recommend songs for it.

The package holds all logic, split by domain: :mod:`emuse.vision` (faces and
emotions), :mod:`emuse.music` (playlists, Spotify, recommendations),
:mod:`emuse.history` (the mood database), :mod:`emuse.training` (FER2013 training
and evaluation). Only :mod:`emuse.ui` imports Streamlit. Importing this package
has one side effect, below; the rest of the process-wide setup is
:mod:`emuse.ui.runtime` (server) and :mod:`emuse.quiet` (log levels).
"""

import os as _os

# OpenCV's decompression-bomb limit, which it reads once when its library loads (so it
# must be set before any module imports cv2): 2^30 pixels by default, and a 16 MB
# 16000x16000 Radiance file took the server to 3.9 GB. 40 MP is emuse.vision.media's
# MAX_PIXELS, which refuses larger images from their header before OpenCV sees them;
# this covers every other decode (training images). A deployment may set it lower.
_os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", "40000000")

__version__ = "0.1.0"
