"""The UI layer: the only part of ``emuse`` that imports Streamlit.

One module per page (:mod:`.live`, :mod:`.history`, :mod:`.playlists`, :mod:`.train`),
plus what pages share: :mod:`.common` (secrets, small widgets), :mod:`.resources`
(every ``st.cache_resource``), :mod:`.state` (the session-state keys),
:mod:`.spotify_login` and :mod:`.runtime` (the process-wide patches, applied once).
Pages in ``pages/`` only wire these together; anything here is about *showing*
things, never about computing them (that is the domain packages' job).
"""
