"""From a video frame to faces, emotions and a smoothed mood.

- :mod:`.frames`: turn whatever a browser or file gives into a BGR frame.
- :mod:`.detect`: find faces (OpenCV Haar cascade on a downscaled copy).
- :mod:`.classifier`: one batched CNN call for every face of a frame.
- :mod:`.smoothing`: a mood that does not flicker.
- :mod:`.pipeline`: the per-frame path that ties them together, plus drawing.
- :mod:`.media`: images, videos and folders for the CLI and uploads.
"""
