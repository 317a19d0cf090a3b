"""``python -m emuse sync / playlists / spotify`` against temporary folders and the fake Spotify server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from emuse.music import store
from tests.support import fake_spotify as fs
from tests.support.paths import ROOT


def emuse(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command, in a subprocess, with this test's environment."""
    return subprocess.run(
        [sys.executable, "-m", "emuse", *args],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]):
    """The command in this process (fast); same parser, handlers and exit codes as ``python -m emuse``."""

    def _run(*args: str) -> subprocess.CompletedProcess[str]:
        from emuse.cli import main

        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)

    return _run


def test_sync_prints_a_summary_and_exits_1_when_an_emotion_fails(fake: fs.FakeSpotify, tmp_path: Path, run) -> None:
    (tmp_path / "sources.csv").write_text("emotion,playlist\nhappy,ok1\nangry,secret1\n")
    fake.playlists["ok1"] = [fs.track(1), fs.track(2)]
    fake.fail["secret1"] = 403

    dry = run("sync", "--dry-run")
    assert dry.returncode == 1
    assert "[dry run] happy: added 2, removed 0, kept 0 (would change, dry run)" in dry.stdout
    assert not (tmp_path / "happy.csv").exists()

    result = emuse("sync")
    assert result.returncode == 1, result.stderr
    assert "happy: added 2, removed 0, kept 0 (written)" in result.stdout
    assert "angry: FAILED, file unchanged:" in result.stdout and "Development Mode" in result.stdout
    assert "fear: no playlists in sources.csv" in result.stdout
    assert "1 emotion(s) failed" in result.stderr
    assert fs.CLIENT_SECRET not in result.stdout + result.stderr
    assert len(store.load_playlist("happy")) == 2

    only = run("sync", "--emotion", "happiness")
    assert only.returncode == 0 and only.stdout.strip() == "happy: added 0, removed 0, kept 2 (unchanged)"


def test_sync_usage_errors(fake: fs.FakeSpotify, tmp_path: Path, monkeypatch, run) -> None:
    bad = run("sync", "--emotion", "bored")
    assert bad.returncode == 2 and "unknown emotion 'bored'" in bad.stderr
    (tmp_path / "sources.csv").write_text("emotion,playlist\nhappy\n")
    broken = run("sync")
    assert broken.returncode == 2 and "sources.csv line 2: expected 2 fields" in broken.stderr
    monkeypatch.delenv("SPOTIPY_CLIENT_ID")
    none = run("sync")
    assert none.returncode == 2 and "no Spotify credentials" in none.stderr


def test_my_playlists_and_login_needs(fake: fs.FakeSpotify, monkeypatch, run) -> None:
    assert "spotify login" in run("spotify", "playlists").stderr
    monkeypatch.setenv("SPOTIFY_REFRESH_TOKEN", fs.REFRESH_TOKEN)
    fake.me_playlists = [{"id": "P1", "name": "Gym", "owner": {"id": "me"}, "tracks": {"total": 40}}]
    listed = run("spotify", "playlists")
    assert listed.returncode == 0 and listed.stdout == "P1\t40 songs\tGym (by me)\n"


def test_import_and_check(fake: fs.FakeSpotify, tmp_path: Path, run) -> None:
    legacy = tmp_path / "old sad.csv"
    legacy.write_text(",Name,Album,Artist\n0,Hurt,American IV,Johnny Cash\n1,Yesterday,Help!,The Beatles\n")
    imported = run("playlists", "import", str(legacy), "--emotion", "sad")
    assert imported.returncode == 0 and "sad: imported 2 songs" in imported.stdout
    assert [t.name for t in store.load_playlist("sad")] == ["Hurt", "Yesterday"]
    again = run("playlists", "import", str(legacy), "--emotion", "sad")
    assert "imported 0 songs" in again.stdout  # duplicates are not added twice

    (tmp_path / "fear.csv").write_text("nonsense\n")
    check = run("playlists", "check")
    assert check.returncode == 2
    assert "sad: 2 songs" in check.stdout and "fear.csv line 1: header must be" in check.stdout


def test_sync_with_an_expired_refresh_token_says_so_in_one_line(
    fake: fs.FakeSpotify, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run
) -> None:
    monkeypatch.setenv("SPOTIFY_REFRESH_TOKEN", "old-secret-token")
    fake.expired_refresh_tokens.add("old-secret-token")
    (tmp_path / "sources.csv").write_text("emotion,playlist\nhappy,p1\nsad,p2\n")
    result = run("sync")
    assert result.returncode == 1
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) == 1 and "refresh token has expired" in lines[0] and "6 months" in lines[0]
    assert "old-secret-token" not in result.stdout + result.stderr
