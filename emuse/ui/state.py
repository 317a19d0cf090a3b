"""Every ``st.session_state`` key eMuse uses, by name, so a typo is an ``AttributeError``.

Keys without a leading underscore are part of the contract with tests (AppTest sets
them directly); keys with one are internal. Keys that depend on a value (a source,
an emotion) are built by the small functions below, never by string concatenation
elsewhere.
"""

from __future__ import annotations

# Live page
LIVE_SESSION = "live_session"  # emuse.vision.live.LiveSession of this browser session
LIVE_LAST_UPDATE = "live_last_update"  # the newest LiveUpdate the mood panel showed
LIVE_MOOD = "live_mood"  # the smoothed mood label the songs follow
MUSIC_FOLLOWS = "music_follows"  # "largest" face or the "group" (emuse.vision.frame_analysis.FOLLOW)
MUSIC_STRATEGY = "music_strategy"  # "Match my mood" / "Lift my mood" widget
LIVE_DETECTOR = "live_detector"  # face detector widget: "blazeface" or "haar"
LIVE_STREAM_GENERATION = "_live_stream_generation"  # bumped by a reconnect: the webcam component's key changes
LIVE_RECONNECTING = "_live_reconnecting"  # a reconnect is under way: the new component starts by itself
LIVE_RECONNECTS = "_live_reconnects"  # automatic reconnects since the person pressed START
LIVE_PLAYING_SINCE = "_live_playing_since"  # time.monotonic() when this stream started playing
LAST_COMPLETED_PAGE = "_last_completed_page"  # url_path of the page the last complete script run showed
RECOMMENDER = "_recommender"  # emuse.music.Recommender of this browser session
RECORDED_STILLS = "_recorded_stills"  # sha256 of snapshots and uploads already recorded
MUSIC_FEEDBACK = "_music_feedback"  # emuse.music.Feedback: this session's 👍/👎, shared by its recommenders
CALIBRATION = "calibration"  # emuse.vision.calibration.Calibration learned from this session's corrections
LIVE_SLOT = "_live_slot"  # this session's id in emuse.vision.live.LiveSlots
LIVE_CONNECTING_SINCE = "_live_connecting_since"  # time.monotonic() when START began connecting
SNAPSHOT_CAMERA = "_snapshot_camera"  # True once the person asked for the snapshot camera

# Mood history
HISTORY_SESSION_ID = "history_session_id"
RECORD_MOODS = "record_moods"  # the person's choice; survives pages without the toggle
RECORD_MOODS_TOGGLE = "_record_moods_toggle"  # the widget itself (dropped on other pages)
HISTORY_DELETE_WHAT = "_history_delete_what"
HISTORY_DELETE_SURE = "_history_delete_sure"
HISTORY_SUCCESS = "_history_success"  # set by the delete callback, shown once by the page
HISTORY_ERROR = "_history_error"

# Spotify and playlists
SPOTIFY_TOKEN = "spotify_token"  # this tab's user token; never saved
SPOTIFY_LOGIN_STATE = "spotify_login_state"  # the pending PKCE login's ``state``
SPOTIFY_DISCONNECT = "spotify_disconnect"
MUSIC_SYNC = "music_sync"
MUSIC_SYNC_SUMMARY = "_music_sync_summary"  # (ok, lines) of the last sync, shown after the rerun
PLAYLIST_EPOCH = "_pl_epoch"  # bumped when a sync replaces the files: every editor widget gets a new key
SOURCES_TABLE = "_pl_sources_table"
SOURCES_SAVE = "_pl_sources_save"
MY_PLAYLISTS = "_pl_my_playlists"
PICK_PLAYLISTS = "_pl_pick"

# Train & Evaluate
TRAIN_JOB = "train_job"  # id of the job this browser session started or watches
TRAIN_TAB = "train_tab"  # which of the Train / Evaluate tabs is open


def more_songs(source: str) -> str:
    """The "Other songs" button under the songs for ``source`` (live, snapshot, upload)."""
    return f"_more_songs_{source}"


def still_recommender(source: str) -> str:
    """The recommender of a snapshot's or upload's own songs."""
    return f"_recommender_{source}"


def still_digest(source: str) -> str:
    """sha256 of the picture whose songs ``source`` shows (a new picture gets new songs)."""
    return f"_still_digest_{source}"


def pin_songs(source: str) -> str:
    """The "📌 Keep these songs" toggle."""
    return f"_pin_songs_{source}"


def rate_song(source: str, serial: int, index: int) -> str:
    """The 👍/👎 of one song of one list."""
    return f"_rate_{source}_{serial}_{index}"


def correction(source: str, shown: str) -> str:
    """The "Not right? I'm …" pills beside a mood."""
    return f"_correct_{source}_{shown}"


def calibration_reset(source: str) -> str:
    """The "Forget them" button under "eMuse has learned from N of your corrections"."""
    return f"_calibration_reset_{source}"


def history_recorder(source: str) -> str:
    """This session's :class:`emuse.history.recorder.MoodRecorder` for ``source``."""
    return f"_history_recorder_{source}"


def playlist(emotion: str) -> str:
    """The playlist editor's working copy for ``emotion`` (tracks, version, generation, dirty)."""
    return f"_pl_{emotion}"


def playlist_added(emotion: str) -> str:
    """The song just added by link to ``emotion``'s draft, shown (with its player) until saved."""
    return f"_pl_added_{emotion}"


def playlist_raw(emotion: str) -> str:
    """The text area that repairs an unreadable playlist file."""
    return f"_pl_raw_{emotion}"
