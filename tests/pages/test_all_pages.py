"""Every page runs in Streamlit's AppTest without an exception, and the Live fallbacks work."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from emuse import registry
from tests.support.paths import ROOT

PAGES = ["pages/home.py", "pages/live.py", "pages/history.py", "pages/train.py", "pages/playlists.py"]


def open_page(page: str) -> AppTest:
    """Run the app as Streamlit would (Home.py's navigation), then switch to ``page``."""
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    return at.switch_page(page).run()


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_without_exception(page: str) -> None:
    at = open_page(page)
    assert not at.exception, at.exception
    assert at.title, "every page has a title"


def test_home_navigation_runs() -> None:
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "eMuse"


def test_live_page_without_webrtc_offers_snapshot_and_upload() -> None:
    at = open_page("pages/live.py")
    assert not at.exception
    assert any("snapshot or an upload" in info.value for info in at.info)
    assert at.sidebar.selectbox[0].value == "emuse_resnet_ensemble"  # models/DEFAULT, listed first
    assert [tab.label for tab in at.tabs] == ["Snapshot", "Upload a photo or video"]


def test_live_page_asks_for_no_camera_until_the_person_does() -> None:
    """No ``st.camera_input`` (which switches the camera on when drawn) before "Take a snapshot"."""
    at = open_page("pages/live.py")
    assert at.get("camera_input") == []
    take = next(b for b in at.button if b.label == "Take a snapshot")
    at = take.click().run()
    assert not at.exception, at.exception
    assert len(at.get("camera_input")) == 1
    at = next(b for b in at.button if b.label == "Close the camera").click().run()
    assert at.get("camera_input") == []


def widget_labels(at: AppTest) -> list[str]:
    """The label of every labelled widget, tab and link on the page (sidebar included)."""
    labels = [
        element.label
        for kind in ("button", "toggle", "checkbox", "radio", "selectbox", "multiselect", "slider", "text_input")
        for element in getattr(at, kind)
    ]
    labels += [tab.label for tab in at.tabs] + [expander.label for expander in at.expander]
    labels += [el.proto.label for kind in ("page_link", "download_button", "segmented_control") for el in at.get(kind)]
    return labels


@pytest.mark.parametrize("page", PAGES)
def test_every_label_reads_without_an_emoji_font(page: str) -> None:
    """An emoji renders as a box where the machine lacks an emoji font: no label may be an emoji alone."""
    at = open_page(page)
    labels = widget_labels(at)
    assert labels, "the page has labelled widgets"
    assert [label for label in labels if not re.search(r"[A-Za-z]{2}", label)] == []
    assert all(re.search(r"[A-Za-z]{2}", title.value) for title in at.title)


def test_home_links_come_first_and_no_model_is_loaded() -> None:
    """The links and the start button are drawn before the model line; Home never loads TensorFlow."""
    script = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({str(ROOT / 'Home.py')!r}, default_timeout=60).run()\n"
        "assert not at.exception, at.exception\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]

    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60).run()
    texts = [el.value for el in at.markdown]
    links = [link.proto.label for link in at.get("page_link")]
    assert links == ["Live", "Mood History", "Playlists", "Train & Evaluate"]
    default = registry.list_models()[0]  # its measured accuracy, or else the one its authors reported
    accuracy = (default.meta.get("metrics") or {}).get("accuracy") or default.meta["reported_accuracy"]["fer2013"]
    assert any(default.name in t and f"{accuracy:.0%}" in t and "FER2013" in t for t in texts), texts
    (start,) = [b for b in at.button if b.label == "Start the camera"]  # the browser test clicks it
    assert start.proto.type == "primary"


@pytest.mark.parametrize(
    ("ice", "level", "words"),
    [
        ("[]", "info", "no ICE servers"),
        ('[{"urls": ["stun:stun.l.google.com:19302"]}]', "warning", "only STUN"),
        ('[{"urls": "turn:turn.example.org:3478", "username": "u", "credential": "c"}]', "success", "TURN relay"),
        ("not json", "error", "Live video is off"),
    ],
)
def test_home_says_whether_live_video_will_connect(
    ice: str, level: str, words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMUSE_ICE_SERVERS", ice)
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60).run()
    assert not at.exception
    boxes = getattr(at, level)
    assert any(words in box.value for box in boxes), [box.value for box in boxes]
    assert "credential" not in " ".join(box.value for box in boxes) and '"c"' not in str(at.main)


def test_home_shows_a_measured_accuracy_when_the_model_has_one(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "fer2013_mini_xception"
    shutil.copytree(ROOT / "models" / "fer2013_mini_xception", model, ignore=shutil.ignore_patterns("*.tflite"))
    meta = json.loads((model / "meta.json").read_text())
    meta["metrics"] = {"accuracy": 0.6412, "macro_f1": 0.6, "split": "test", "n": 3589}
    (model / "meta.json").write_text(json.dumps(meta))
    monkeypatch.setenv("EMUSE_MODELS_DIR", str(tmp_path))
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60).run()
    assert any("measured accuracy **64%** on 3,589 PrivateTest images" in m.value for m in at.markdown)
