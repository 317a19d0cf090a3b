"""Playlists page widgets: the sync panel, one editor per emotion, the sources editor.

The rules (parsing, validation, saving with a version check) live in
:mod:`emuse.music`; these functions only show tables and buttons and report errors.
An editor's working copy lives in ``st.session_state[state.playlist(emotion)]`` as
:class:`Draft`, so edits survive reruns until saved or discarded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from emuse.labels import EMOTIONS
from emuse.music import Track, auth, editing, links
from emuse.music import store as playlist_store
from emuse.music import sync as music_sync
from emuse.music.spotify import SpotifyReadError, fetch_track, my_playlists
from emuse.ui import state
from emuse.ui.common import md, secrets
from emuse.ui.songs import track_list
from emuse.ui.spotify_login import spotify_client

Token = dict[str, Any] | None

EDITOR_COLUMN_CONFIG = {
    "position": st.column_config.NumberColumn("#", step=1, width="small"),
    "name": st.column_config.TextColumn("Song", required=True),
    "from": st.column_config.TextColumn("From"),
    "track_id": st.column_config.TextColumn("Spotify track ID", help="22 characters, or a track link"),
    "url": st.column_config.LinkColumn("Spotify", display_text="open ↗"),
}


@dataclass
class Draft:
    """One emotion's songs as being edited: ``gen`` changes whenever the table must be redrawn from ``tracks``."""

    tracks: list[Track]
    version: str
    gen: int = 0
    dirty: bool = False  # songs were added and not saved yet
    epoch: int = field(default=0)  # the sync generation it was loaded in (part of every widget key)

    def key(self, emotion: str, widget: str) -> str:
        return f"{state.playlist(emotion)}_{widget}_{self.epoch}_{self.gen}"


def _epoch() -> int:
    return int(st.session_state.get(state.PLAYLIST_EPOCH, 0))


def forget_playlist_edits() -> None:
    """Drop every editor's working copy (after a sync replaced the files); new widget keys, so no stale edits."""
    for emotion in EMOTIONS:
        st.session_state.pop(state.playlist(emotion), None)
        st.session_state.pop(state.playlist_raw(emotion), None)
    for key in (state.SOURCES_TABLE, state.MY_PLAYLISTS):
        st.session_state.pop(key, None)
    st.session_state[state.PLAYLIST_EPOCH] = _epoch() + 1


def sync_panel(token: Token) -> None:
    """Last synced time; a sync button with a progress bar (prominent when a sync is due); the last summary."""
    last = music_sync.last_synced()
    creds = auth.credentials(secrets())
    can_sync = bool(token) or (creds is not None and creds.can_sync)
    when = "never" if last is None else f"{last:%Y-%m-%d %H:%M} UTC ({(datetime.now(UTC) - last).days} days ago)"
    st.caption(f"Last synced from Spotify: {when}")
    if not can_sync:
        st.caption(
            "Syncing needs Spotify credentials (`SPOTIPY_CLIENT_ID` and `SPOTIPY_CLIENT_SECRET` or a refresh "
            "token) or Connect Spotify; see docs/music.md."
        )
    else:
        due = music_sync.is_stale()
        if due:
            st.warning("The playlists haven't been synced from Spotify for over a week.", icon="🔄")
        if st.button("🔄 Sync from Spotify now", type="primary" if due else "secondary", key=state.MUSIC_SYNC):
            _run_sync(token)
    summary = st.session_state.get(state.MUSIC_SYNC_SUMMARY)
    if summary:
        ok, lines = summary
        (st.success if ok else st.error)(
            "Sync "
            + ("finished" if ok else "finished with problems")
            + ":\n\n"
            + "\n".join(f"- {md(line)}" for line in lines)
        )


def _run_sync(token: Token) -> None:
    bar = st.progress(0.0, text="Connecting to Spotify…")
    try:
        report = music_sync.sync(spotify_client(token), progress=lambda f, text: bar.progress(f, text=text))
    except (auth.AuthError, playlist_store.PlaylistError) as exc:
        st.session_state[state.MUSIC_SYNC_SUMMARY] = (False, [str(exc)])
    else:
        st.session_state[state.MUSIC_SYNC_SUMMARY] = (not report.failed, report.lines())
    forget_playlist_edits()
    st.rerun()


def playlist_editor(emotion: str, token: Token) -> None:
    """Edit one emotion's songs: table (edit, delete, reorder by position), add by link, import, save."""
    path = playlist_store.playlist_path(emotion)
    draft = _load_draft(emotion, path)
    if draft is None:
        return
    st.caption(
        f"{len(draft.tracks)} songs in `{path.name}`. Edit cells, delete rows (select, then 🗑), "
        "change **#** to reorder, then **Save**."
    )
    if draft.tracks and st.toggle(
        "▶ Listen to this list", key=f"{state.playlist(emotion)}_listen", help="The first five play in the page."
    ):
        track_list(draft.tracks, max_players=5)
    rows = _songs_table(emotion, draft)
    with st.expander("➕ Add a song by Spotify link, or import a CSV"):
        _add_by_link(emotion, draft, rows, token)
        _import_csv(emotion, draft, rows)
    c1, c2 = st.columns([1, 1])
    if c1.button("💾 Save", key=f"{state.playlist(emotion)}_save", type="primary"):
        _save(emotion, draft, rows, path)
    if c2.button("↩️ Reload from disk (discard edits)", key=f"{state.playlist(emotion)}_reload"):
        del st.session_state[state.playlist(emotion)]
        st.rerun()
    if draft.dirty:
        st.info("Songs were added; press **Save** to keep them.")


def _load_draft(emotion: str, path: Path) -> Draft | None:
    """This session's draft for ``emotion``, read from disk the first time; ``None`` when the file needs repair."""
    key = state.playlist(emotion)
    if key not in st.session_state:
        try:
            loaded = playlist_store.read_playlist_file(path)
        except playlist_store.PlaylistError as exc:
            _repair_playlist(emotion, path, str(exc))
            return None
        st.session_state[key] = Draft(loaded.tracks, loaded.version, epoch=_epoch())
    return st.session_state[key]


def _songs_table(emotion: str, draft: Draft) -> list[dict[str, Any]]:
    """The editable table of songs; returns its rows as edited so far."""
    edited = st.data_editor(
        pd.DataFrame(
            editing.tracks_to_rows(draft.tracks),
            columns=[*editing.EDITOR_COLUMNS, "source", "duration_ms", "added_at", "valence", "energy"],
        ),
        key=draft.key(emotion, "table"),
        num_rows="dynamic",
        hide_index=True,
        column_order=editing.EDITOR_COLUMNS,
        disabled=["from", "url"],
        column_config=EDITOR_COLUMN_CONFIG,
        width="stretch",
    )
    return edited.to_dict("records")


def _adopt(draft: Draft, tracks: list[Track]) -> None:
    """Replace the draft's songs (added or imported ones included) and redraw the table from them."""
    draft.tracks, draft.gen, draft.dirty = tracks, draft.gen + 1, True
    st.rerun()


def _add_by_link(emotion: str, draft: Draft, rows: list[dict[str, Any]], token: Token) -> None:
    """Add one song by its link. On an error the form keeps what was typed; the added song is shown, with its player."""
    # The form's key changes with the draft's generation: after a song was added it starts empty,
    # after an error it keeps the pasted link so the person can fix it.
    with st.form(draft.key(emotion, "add")):
        link = st.text_input("Spotify track link", placeholder="https://open.spotify.com/track/…")
        c1, c2 = st.columns(2)
        name = c1.text_input("Song name (filled in from Spotify when connected)")
        artists = c2.text_input("Artists")
        if st.form_submit_button("Add"):
            try:
                track = track_from_link(link, name, artists, token)
                tracks = [*editing.rows_to_tracks(rows), track]
            except (playlist_store.PlaylistError, RuntimeError) as exc:
                st.error(str(exc))
            else:
                st.session_state[state.playlist_added(emotion)] = track
                _adopt(draft, tracks)
    added = st.session_state.get(state.playlist_added(emotion))
    if added is not None and draft.dirty:
        where = next((i + 1 for i, t in enumerate(draft.tracks) if t.key == added.key), len(draft.tracks))
        st.success(f"Added as row {where} of {len(draft.tracks)} (below). Press **Save** to keep it.")
        track_list([added], max_players=1)


def _import_csv(emotion: str, draft: Draft, rows: list[dict[str, Any]]) -> None:
    upload = st.file_uploader(
        "Import a CSV (this layout or the original `,Name,Album,Artist`)",
        type="csv",
        key=draft.key(emotion, "import"),
    )
    if upload is not None and st.button("Import these songs", key=f"{state.playlist(emotion)}_import_go"):
        try:
            _adopt(draft, editing.rows_to_tracks(rows) + editing.import_csv(upload.getvalue(), upload.name))
        except playlist_store.PlaylistError as exc:
            st.error(str(exc))


def _save(emotion: str, draft: Draft, rows: list[dict[str, Any]], path: Path) -> None:
    """Save the edited rows if the file is unchanged since loading; errors keep the edits on screen."""
    try:
        tracks = editing.rows_to_tracks(rows)
        version = playlist_store.save_playlist(emotion, tracks, draft.version)
    except playlist_store.ConflictError as exc:
        st.error(f"Not saved: {exc}", icon="⚠️")
    except playlist_store.PlaylistError as exc:
        st.error(f"Not saved: {exc}")
    except OSError as exc:
        st.error(f"Not saved: could not write {path} ({exc.strerror}); your edits are still here")
    else:
        saved = playlist_store.dedupe(tracks)
        st.session_state[state.playlist(emotion)] = Draft(saved, version, gen=draft.gen + 1, epoch=draft.epoch)
        st.toast(f"Saved {len(tracks)} songs for {emotion}.", icon="💾")
        st.rerun()


def track_from_link(link: str, name: str, artists: str, token: Token) -> Track:
    """A song from a Spotify track link: as typed when a name is given, else read from Spotify."""
    track_id = links.parse_track_ref(link)
    if name.strip():
        return playlist_store.manual_track(track_id, name.strip(), artists.strip())
    try:
        client = spotify_client(token)
    except Exception:  # misconfigured credentials: same advice as having none
        client = None
    if client is None:
        raise playlist_store.PlaylistError("type the song name and artists too (or connect Spotify to fill them in)")
    try:
        return fetch_track(client, track_id)
    except SpotifyReadError as exc:
        raise playlist_store.PlaylistError(f"{exc}; type the name and artists to add it anyway") from exc


def _repair_playlist(emotion: str, path: Path, problem: str) -> None:
    st.error(f"This playlist can't be read: {problem}")
    text, version = editing.read_raw(path)
    fixed = st.text_area("Fix the file here (CSV text), then save", text, height=300, key=state.playlist_raw(emotion))
    if st.button("Save fixed file", key=f"{state.playlist_raw(emotion)}_save"):
        try:
            editing.save_raw_playlist(emotion, fixed, version)
        except playlist_store.PlaylistError as exc:
            st.error(f"Not saved: {exc}")
        else:
            st.rerun()


def sources_editor(token: Token) -> None:
    """Edit ``sources.csv`` (emotion → Spotify playlist) and, when connected, pick from the user's playlists."""
    st.caption(
        "Which Spotify playlists feed each mood. Paste a playlist link, a `spotify:playlist:` URI or an ID. "
        "Apps in Development Mode can only read playlists the connected user owns or collaborates on."
    )
    try:
        sources = playlist_store.read_sources()
    except playlist_store.PlaylistError as exc:
        st.error(f"sources.csv can't be read: {exc}. Fix it below; saving replaces the file.")
        sources = []
    edited = st.data_editor(
        pd.DataFrame(editing.sources_to_rows(sources), columns=["emotion", "playlist"]),
        key=state.SOURCES_TABLE,
        num_rows="dynamic",
        hide_index=True,
        column_config={
            "emotion": st.column_config.SelectboxColumn("Emotion", options=list(EMOTIONS), required=True),
            "playlist": st.column_config.TextColumn("Spotify playlist", required=True),
        },
        width="stretch",
    )
    if st.button("💾 Save sources", key=state.SOURCES_SAVE):
        try:
            playlist_store.save_sources(editing.rows_to_sources(edited.to_dict("records")))
        except playlist_store.PlaylistError as exc:
            st.error(f"Not saved: {exc}")
        else:
            st.toast("Saved sources.csv", icon="💾")
            st.session_state.pop(state.SOURCES_TABLE, None)
            st.rerun()
    if not token:
        if auth.credentials(secrets()) is None:
            st.caption("Picking from your own playlists needs a Spotify app: see the 🎧 box at the top of this page.")
        else:
            st.caption("Press **Connect Spotify** at the top of this page to pick from your own playlists.")
        return
    _pick_my_playlists(token, sources)


def _pick_my_playlists(token: Token, sources: list[playlist_store.Source]) -> None:
    try:
        mine = st.session_state.get(state.MY_PLAYLISTS)
        if mine is None:
            mine = st.session_state[state.MY_PLAYLISTS] = my_playlists(spotify_client(token))
    except SpotifyReadError as exc:
        st.error(str(exc))
        return
    with st.form(state.PICK_PLAYLISTS):
        picked = st.multiselect("Your playlists", mine, format_func=lambda p: f"{p.name} ({p.total or 0} songs)")
        emotion = st.selectbox("Use them for", EMOTIONS)
        if st.form_submit_button("Add to sources"):
            new = [playlist_store.Source(emotion, p.id) for p in picked]
            playlist_store.save_sources(sources + new)
            st.session_state.pop(state.SOURCES_TABLE, None)
            st.rerun()
