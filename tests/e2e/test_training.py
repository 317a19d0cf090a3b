"""The Train page in a real browser: start a job, watch it update by itself, refresh, cancel.

AppTest can't run ``st.fragment(run_every=...)`` polling or a browser refresh; this
does, against ``streamlit run Home.py`` with private data and model folders.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from emuse.training import jobs, synthetic
from tests.support import browser as bs

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def progress_text(page) -> str:
    bar = page.locator('[data-testid="stProgress"]')
    return bar.inner_text() if bar.count() else ""


def test_train_page_polls_reattaches_and_cancels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bs.require_chromium()
    from playwright.sync_api import sync_playwright

    data = synthetic.make_csv(tmp_path / "fer2013.csv", {"train": 40, "val": 5, "test": 5})
    data_dir, models_dir = tmp_path / "data", tmp_path / "models"
    monkeypatch.setenv("EMUSE_DATA_DIR", str(data_dir))
    with (
        bs.running_streamlit(data_dir, env={"EMUSE_MODELS_DIR": str(models_dir)}) as server,
        sync_playwright() as playwright,
    ):
        browser = bs.launch_chromium(playwright)
        page = browser.new_page()
        page.goto(f"{server.url}/train")
        bs.wait_for_app(page)
        page.get_by_label("…or a path on the server").first.fill(str(data))
        epochs = page.get_by_label("Epochs (at most)")
        epochs.fill("300")
        epochs.press("Tab")
        page.get_by_role("button", name="Start training").click()

        # the progress text changes on its own (fragment polling), without any click
        page.wait_for_function("() => /Epoch \\d+\\/300/.test(document.body.innerText)", timeout=180_000)
        first = progress_text(page)
        deadline = time.monotonic() + 60
        while progress_text(page) == first and time.monotonic() < deadline:
            time.sleep(0.5)
        assert progress_text(page) != first, first
        assert re.search(r"about .* left", progress_text(page))

        # a refresh reattaches to the same job instead of offering a new one
        page.reload()
        bs.wait_for_app(page)
        page.get_by_text("Running: train · mini_xception").wait_for(timeout=30_000)
        assert page.get_by_role("button", name="Start training").count() == 0
        assert len(jobs.list_jobs()) == 1

        for _ in range(3):  # a click can land while the fragment redraws; a person would click again too
            page.get_by_role("button", name="Cancel").click()
            try:
                page.get_by_text("Cancelling after the current batch").wait_for(timeout=10_000)
                break
            except Exception:
                continue
        try:
            page.get_by_text("Cancelled train · mini_xception").wait_for(timeout=120_000)
            page.get_by_role("button", name="Start training").wait_for(timeout=30_000)
        except Exception:
            bs.screenshot(page, "train_cancel", tmp_path)
            raise AssertionError(
                f"{jobs.list_jobs()[0].status()}\n{page.inner_text('body')[-3000:]}\n{server.log_tail()}"
            ) from None
        assert not bs.exception_texts(page)
        assert not models_dir.exists() or not [p for p in models_dir.iterdir() if not p.name.startswith(".")]
        browser.close()
