"""Home page widgets: the model and its accuracy, and whether live video will connect from here.

Everything here reads small files and settings only: no model is loaded, so the
Home page draws its links at once (the Live page loads the model when it opens).
"""

from __future__ import annotations

import streamlit as st

from emuse import config, registry
from emuse.ui.common import secrets

#: FER2013's splits by the names people know them by (the data layer calls them val/ and test/).
SPLITS = {"val": "PublicTest", "test": "PrivateTest", "train": "Training"}


def model_summary() -> str | None:
    """One line on the default model and how accurate it is, from its ``meta.json``; ``None`` without a model.

    A measured accuracy (``metrics``, written by the Train page or ``python -m emuse
    train``) wins over the one its authors reported (``reported_accuracy``).
    """
    models = registry.list_models()
    if not models:
        return None
    info = models[0]
    row = registry.metrics_summary(info)
    what = f"**{info.name}** ({info.meta.get('architecture', 'CNN')}, {info.input_shape[0]}x{info.input_shape[1]} gray)"
    if row["accuracy"] is not None:
        split = str(row["evaluated_on"] or "").strip("/")
        split = SPLITS.get(split, split)
        on = f" on {row['images']:,} {split} images" if row["images"] and split else ""
        return f"Model: {what}, measured accuracy **{row['accuracy']:.0%}**{on} of FER2013 (7 emotions)."
    reported = info.meta.get("reported_accuracy") or {}
    if isinstance(reported, dict) and isinstance(reported.get("fer2013"), int | float):
        return (
            f"Model: {what}, about **{reported['fer2013']:.0%}** accuracy on FER2013 (7 emotions) as its "
            "authors report; not measured here yet (the Train page's *Evaluate* measures it)."
        )
    return f"Model: {what}; accuracy not measured yet (the Train page's *Evaluate* measures it)."


def live_video_outlook() -> tuple[str, str]:
    """``(level, message)``: will live video connect for visitors of this server? From the settings only.

    WebRTC needs a path between the browser and the server: on one machine or one
    network it finds one by itself; across the internet, behind a school's or a
    company's firewall, only a TURN relay gets through. Read from
    :func:`emuse.config.ice_plan` without fetching a TURN provider's credentials (the
    Live page does that), so Home stays instant. ``level`` is ``success``, ``info``,
    ``warning`` or ``error``.
    """
    try:
        plan = config.ice_plan(secrets())
    except config.ConfigError as exc:
        return "error", f"Live video is off here: {exc}"
    if plan.kind == "provider":
        return "success", f"Live video: a TURN relay is set up ({plan.provider}), so it connects from any network."
    urls = [url for server in plan.servers or [] for url in _urls(server)]
    if any(url.startswith(("turn:", "turns:")) for url in urls):
        return "success", "Live video: a TURN relay is configured, so the camera stream connects from any network."
    if not urls:
        return "info", (
            "Live video: no ICE servers are configured, which works when the browser runs on this machine or "
            "its local network. From elsewhere, use a snapshot or an upload."
        )
    return "warning", (
        "Live video: only STUN is configured (no TURN relay). It connects on most home networks but may not "
        "behind a school or company firewall; then use a snapshot or an upload (the README says how to add TURN)."
    )


def _urls(server: dict) -> list[str]:
    urls = server.get("urls", [])
    return [urls] if isinstance(urls, str) else [str(url) for url in urls]


def show_outlook() -> None:
    """The live-video line as a coloured box."""
    level, message = live_video_outlook()
    getattr(st, level)(message)
