"""``python -m emuse sync|spotify|playlists``: the music domain's commands.

``sync``                      refresh the per-emotion CSVs from sources.csv (the weekly job runs this)
``spotify login``             authorize as a user once; prints SPOTIFY_REFRESH_TOKEN to store as a secret
``spotify playlists``         list your own playlists, to paste into sources.csv
``playlists check``           validate every playlist CSV and sources.csv
``playlists import FILE``     add songs from a CSV (this layout or the original ``,Name,Album,Artist``)

Credentials come from the environment, else from ``.streamlit/secrets.toml``.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
import webbrowser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

from spotipy.oauth2 import start_local_http_server

from emuse import config
from emuse.cli.errors import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, CliError
from emuse.labels import EMOTIONS, normalize_label
from emuse.music import auth, editing, store
from emuse.music import sync as music_sync
from emuse.music.spotify import SpotifyReadError, my_playlists


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this domain's subcommands to ``python -m emuse``."""
    sync = subparsers.add_parser("sync", help="refresh the playlist CSVs from the Spotify playlists in sources.csv")
    sync.add_argument("--emotion", type=_label, default=None, help=f"only this one ({', '.join(EMOTIONS)})")
    sync.add_argument("--dry-run", action="store_true", help="read Spotify and report, but write nothing")
    sync.set_defaults(handler=cmd_sync)

    spotify = subparsers.add_parser("spotify", help="Spotify account: login, your playlists")
    spotify_sub = spotify.add_subparsers(dest="spotify_command", required=True)
    login = spotify_sub.add_parser("login", help="authorize as a Spotify user and print a refresh token")
    login.add_argument(
        "--redirect-uri",
        default=None,
        help="as registered in your Spotify app (default: SPOTIPY_REDIRECT_URI or http://127.0.0.1:8888/callback)",
    )
    login.add_argument("--no-browser", action="store_true", help="print the URL and paste the redirected URL back")
    login.set_defaults(handler=cmd_login)
    mine = spotify_sub.add_parser("playlists", help="list your playlists (needs SPOTIFY_REFRESH_TOKEN)")
    mine.set_defaults(handler=cmd_my_playlists)

    playlists = subparsers.add_parser("playlists", help="check or import playlist CSVs")
    playlists_sub = playlists.add_subparsers(dest="playlists_command", required=True)
    check = playlists_sub.add_parser("check", help="validate every playlist CSV and sources.csv")
    check.set_defaults(handler=cmd_check)
    imp = playlists_sub.add_parser("import", help="add songs from a CSV file to an emotion's playlist")
    imp.add_argument("file", type=Path)
    imp.add_argument("--emotion", type=_label, required=True)
    imp.add_argument("--replace", action="store_true", help="replace the playlist instead of appending")
    imp.set_defaults(handler=cmd_import)


def _label(value: str) -> str:
    try:
        return normalize_label(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def file_secrets() -> dict[str, Any]:
    """``.streamlit/secrets.toml``, so the command line finds the same credentials as the app."""
    path = config.PROJECT_ROOT / ".streamlit" / "secrets.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CliError(f"{path} is not valid TOML ({exc}); fix it or remove it") from exc


def cmd_sync(args: argparse.Namespace) -> int:
    creds = auth.credentials(file_secrets())
    try:
        client = auth.sync_client(creds)
        report = music_sync.sync(client, emotions=[args.emotion] if args.emotion else None, dry_run=args.dry_run)
    except (auth.AuthError, store.PlaylistError) as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc
    for line in report.lines():
        print(line, flush=True)
    if creds is not None and auth.refresh_token_rotated(client, creds):
        print(
            "emuse: warning: Spotify issued a new refresh token and may reject the stored one next time; "
            "if the next sync fails, run `python -m emuse spotify login` again",
            file=sys.stderr,
        )
    if report.failed:
        if not report.auth_error:  # an auth failure already said it all, in one line
            print(f"emuse: {len(report.failed)} emotion(s) failed to sync; their files are unchanged", file=sys.stderr)
        return EXIT_PARTIAL
    return EXIT_OK


def cmd_login(args: argparse.Namespace) -> int:
    secrets = file_secrets()
    creds = auth.credentials(secrets)
    if creds is None:
        raise CliError(
            "set SPOTIPY_CLIENT_ID (and SPOTIPY_CLIENT_SECRET for a reusable token) first; see docs/music.md"
        )
    redirect = args.redirect_uri or auth.redirect_uri(secrets)
    manager = auth.login_manager(creds, redirect)
    url = manager.get_authorize_url()
    target = urlparse(redirect)
    local = target.scheme == "http" and target.hostname in ("127.0.0.1", "localhost") and target.port
    print(f"Open this address, log in to Spotify and allow eMuse:\n\n  {url}\n", file=sys.stderr)
    if local and not args.no_browser:
        redirected = _wait_for_redirect(redirect, url)
    else:
        redirected = input("Paste the address your browser was sent to: ")
    try:
        token = auth.exchange_redirect(manager, redirected)
    except auth.AuthError as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc
    print(
        "Logged in. Store this as the SPOTIFY_REFRESH_TOKEN secret (environment, .streamlit/secrets.toml or "
        "GitHub repository secret); treat it like a password:",
        file=sys.stderr,
    )
    print(f"SPOTIFY_REFRESH_TOKEN={token['refresh_token']}")
    if not creds.client_secret:
        print(
            "emuse: note: without SPOTIPY_CLIENT_SECRET this is a PKCE token, which Spotify lets you use only "
            "once; set the secret and log in again for the weekly job",
            file=sys.stderr,
        )
    return EXIT_OK


def _wait_for_redirect(redirect: str, url: str) -> str:
    """Serve one request on the loopback redirect address and return the URL it was called with."""
    target = urlparse(redirect)
    try:
        server = start_local_http_server(target.port)
    except OSError as exc:
        raise CliError(f"cannot listen on {target.hostname}:{target.port} ({exc}); use --no-browser") from exc
    server.timeout = 300
    webbrowser.open(url)
    print(f"Waiting up to 5 minutes for Spotify to redirect to {redirect} ...", file=sys.stderr)
    server.auth_code = server.error = None
    server.handle_request()
    server.server_close()
    if server.error is not None:
        raise CliError(f"Spotify refused the authorization ({server.error})")
    if not server.auth_code:
        raise CliError("no answer from the browser within 5 minutes; run the command again")
    return f"{redirect}?{urlencode({'code': server.auth_code, 'state': getattr(server, 'state', '') or ''})}"


def cmd_my_playlists(args: argparse.Namespace) -> int:
    creds = auth.credentials(file_secrets())
    if creds is None or creds.mode != "user":
        raise CliError("listing your playlists needs SPOTIFY_REFRESH_TOKEN; run `python -m emuse spotify login`")
    try:
        found = my_playlists(auth.sync_client(creds))
    except SpotifyReadError as exc:
        raise CliError(str(exc), EXIT_PARTIAL) from exc
    for item in found:
        total = "?" if item.total is None else item.total
        print(f"{item.id}\t{total} songs\t{item.name} (by {item.owner})")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    problems = 0
    for emotion in EMOTIONS:
        try:
            tracks = store.load_playlist(emotion)
            print(f"{emotion}: {len(tracks)} songs")
        except store.PlaylistError as exc:
            problems += 1
            print(f"{emotion}: {exc}")
    try:
        print(f"sources.csv: {len(store.read_sources())} playlists")
    except store.PlaylistError as exc:
        problems += 1
        print(f"sources.csv: {exc}")
    return EXIT_USAGE if problems else EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror}") from exc
    try:
        new = editing.import_csv(data, str(args.file))
        current = store.read_playlist(args.emotion)
        rows = new if args.replace else current.tracks + new
        store.save_playlist(args.emotion, rows, current.version)
    except store.PlaylistError as exc:
        raise CliError(str(exc)) from exc
    added = len(store.load_playlist(args.emotion)) - (0 if args.replace else len(current.tracks))
    print(f"{args.emotion}: imported {added} songs from {args.file} into {store.playlist_path(args.emotion)}")
    return EXIT_OK
