"""The Train page in a real browser: start a job, watch it update by itself, refresh, cancel.

AppTest can't run ``st.fragment(run_every=...)`` polling or a browser refresh; this
does, against ``streamlit run Home.py`` with private data and model folders.

Deterministic, whatever the machine's speed: the job runs with
``jobs.GATE_ENV`` set, so at the end of each epoch it waits until the test drops
``epoch-N`` in the gate folder (or cancels). The tiny job therefore can't finish
before the Cancel click, and the page must show each new epoch by polling alone.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from emuse.training import jobs, synthetic
from tests.support import browser as bs

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def wait_for_progress(page, pattern: str, timeout_ms: float) -> str:
    """Wait until the progress bar's text matches ``pattern`` (a JS regex); return the text."""
    page.wait_for_function(
        """(pattern) => {
            const bar = document.querySelector('[data-testid="stProgress"]');
            return bar !== null && new RegExp(pattern).test(bar.innerText);
        }""",
        arg=pattern,
        timeout=timeout_ms,
    )
    return page.locator('[data-testid="stProgress"]').inner_text()


def until(condition, timeout_s: float) -> bool:
    """Poll ``condition`` until it holds or ``timeout_s`` passes; returns whether it held."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_train_page_polls_reattaches_and_cancels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bs.require_chromium()
    from playwright.sync_api import sync_playwright

    data_dir, models_dir, gate = tmp_path / "data", tmp_path / "models", tmp_path / "gate"
    gate.mkdir()
    data_dir.mkdir()
    # inside the data folder: the Train page takes server paths only from configured data folders
    data = synthetic.make_csv(data_dir / "fer2013.csv", {"train": 40, "val": 5, "test": 5})
    monkeypatch.setenv("EMUSE_DATA_DIR", str(data_dir))
    env = {"EMUSE_MODELS_DIR": str(models_dir), jobs.GATE_ENV: str(gate)}
    with bs.running_streamlit(data_dir, env=env) as server, sync_playwright() as playwright:
        browser = bs.launch_chromium(playwright)
        page = browser.new_page()
        page.goto(f"{server.url}/train")
        bs.wait_for_app(page)
        page.get_by_role("textbox", name="…or a path on the server").fill(str(data))  # not its help button
        epochs = page.get_by_label("Epochs (at most)")
        epochs.fill("5")
        epochs.press("Tab")
        page.get_by_role("button", name="Start training").click()
        try:
            # The job waits after epoch 1: the page shows it by polling, without any click.
            wait_for_progress(page, r"Epoch 1\/5", timeout_ms=180_000)
            (gate / "epoch-1").touch()  # let it run epoch 2; it waits again after it
            shown = wait_for_progress(page, r"Epoch 2\/5", timeout_ms=120_000)
            assert "left" in shown, shown

            # a refresh reattaches to the same (waiting) job instead of offering a new one
            page.reload()
            bs.wait_for_app(page)
            page.get_by_text(re.compile(r"^Running: train · ")).wait_for(timeout=30_000)
            assert page.get_by_role("button", name="Start training").is_disabled()  # no second job meanwhile
            assert len(jobs.list_jobs()) == 1

            # The job is still waiting, so Cancel is there until it is clicked; the fragment may
            # redraw it under the pointer, so a click that didn't land is repeated.
            job = jobs.list_jobs()[0]
            for _ in range(5):
                page.get_by_role("button", name="Cancel").click(timeout=30_000)
                if until(lambda: job.cancel_requested, timeout_s=10):
                    break
            assert job.cancel_requested
            page.get_by_text(re.compile(r"^Cancelled train · ")).wait_for(timeout=120_000)
            start = page.get_by_role("button", name="Start training")
            page.wait_for_function("(b) => !b.disabled", arg=start.element_handle(timeout=30_000), timeout=30_000)
        except Exception:
            bs.screenshot(page, "train_cancel", tmp_path)
            status = jobs.list_jobs()[0].status() if jobs.list_jobs() else None
            raise AssertionError(f"{status}\n{page.inner_text('body')[-3000:]}\n{server.log_tail()}") from None
        assert not bs.exception_texts(page)
        assert jobs.list_jobs()[0].status()["state"] == "cancelled"
        assert not models_dir.exists() or not [p for p in models_dir.iterdir() if not p.name.startswith(".")]
        browser.close()
