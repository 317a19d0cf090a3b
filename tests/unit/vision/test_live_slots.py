"""A configured maximum of live streams, and the Live page's own upload limit."""

from __future__ import annotations

import pytest

from emuse import config
from emuse.vision.live import LiveSlots


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_sessions_over_the_limit_are_refused_until_one_stops_or_vanishes() -> None:
    clock = Clock()
    slots = LiveSlots(2, ttl_s=30, clock=clock)
    assert slots.acquire("a") and slots.acquire("b")
    assert not slots.acquire("c") and slots.is_full_for("c")
    assert slots.acquire("a")  # a session renewing its own slot is never refused
    slots.release("a")
    assert slots.acquire("c") and slots.in_use == 2
    clock.now = 20
    assert slots.acquire("c")  # c renews, b has gone quiet (a tab closed without STOP)
    clock.now = 31
    assert not slots.is_full_for("d") and slots.acquire("d")
    assert slots.in_use == 2


def test_the_limits_come_from_settings_with_clear_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EMUSE_MAX_LIVE_SESSIONS", raising=False)
    monkeypatch.delenv("EMUSE_LIVE_UPLOAD_MB", raising=False)
    assert config.max_live_sessions() == config.DEFAULT_MAX_LIVE_SESSIONS
    assert config.live_upload_limit_bytes() == 50 * 1024 * 1024 < 400 * 1024 * 1024  # smaller than training's
    monkeypatch.setenv("EMUSE_MAX_LIVE_SESSIONS", "8")
    assert config.max_live_sessions() == 8
    monkeypatch.setenv("EMUSE_MAX_LIVE_SESSIONS", "lots")
    with pytest.raises(config.ConfigError, match="EMUSE_MAX_LIVE_SESSIONS='lots' is not a whole number"):
        config.max_live_sessions()
    monkeypatch.setenv("EMUSE_LIVE_UPLOAD_MB", "0")
    with pytest.raises(config.ConfigError, match="out of range; give megabytes from 1 to 400"):
        config.live_upload_limit_bytes()
