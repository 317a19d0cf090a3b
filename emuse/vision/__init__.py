"""From a video frame to faces, emotions and a smoothed mood.

- :mod:`.frames`: turn whatever a browser or file gives into a BGR frame.
- :mod:`.detect`: find faces (OpenCV Haar cascade on a downscaled copy).
- :mod:`.classifier`: one batched CNN call for every face of a frame.
- :mod:`.smoothing`: a mood (:class:`emuse.mood.Mood`) that does not flicker.
- :mod:`.frame_analysis`: the per-frame path that ties them together, plus drawing.
- :mod:`.live`: one browser's live video session (the thread boundary).
- :mod:`.uploads`: snapshots, uploaded photos and videos.
- :mod:`.media`: images, videos and folders for the CLI and uploads.
- :mod:`.bench` and :mod:`.synthetic_clip`: timing the pipeline on a test clip.
"""
