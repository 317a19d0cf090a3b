"""Server paths on the Train page: confined to the configured data folders, never a file-system probe."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from emuse.training import synthetic
from emuse.training.data import DataError
from emuse.training.data_checks import quick_check
from emuse.training.paths import allowed_data_path, server_data_dirs, server_paths_enabled


@pytest.fixture
def roots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    data, extra = tmp_path / "data", tmp_path / "datasets"
    data.mkdir()
    extra.mkdir()
    monkeypatch.setenv("EMUSE_DATA_DIR", str(data))
    monkeypatch.setenv("EMUSE_TRAIN_DATA_DIRS", f"{extra}{os.pathsep}")
    return data, extra


def test_no_setting_no_server_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EMUSE_DATA_DIR", raising=False)
    monkeypatch.delenv("EMUSE_TRAIN_DATA_DIRS", raising=False)
    assert server_data_dirs() == [] and not server_paths_enabled()
    with pytest.raises(DataError, match="switched off here; upload the file instead"):
        allowed_data_path("/etc/passwd")


def test_paths_inside_the_data_folders_are_accepted(roots: tuple[Path, Path]) -> None:
    data, extra = roots
    csv = synthetic.make_csv(extra / "fer2013.csv", {"train": 2, "val": 1, "test": 1})
    assert server_data_dirs() == [data, extra]
    assert allowed_data_path(str(csv)) == csv
    (data / "sets").mkdir()
    assert allowed_data_path("sets") == data / "sets"  # relative to the first folder


def test_outside_paths_get_one_message_whether_or_not_they_exist(roots: tuple[Path, Path], tmp_path: Path) -> None:
    secret = tmp_path / "users.csv"
    secret.write_text("user,password_hash\nroot,$6$abc\n")
    messages = set()
    for text in ("/", "/etc/passwd", "/no/such/file.csv", str(secret), "../users.csv", "sets/../../users.csv"):
        with pytest.raises(DataError) as info:
            allowed_data_path(text)
        messages.add(str(info.value))
    assert len(messages) == 1, messages
    assert "password_hash" not in messages.pop()


def test_a_symlink_that_leads_out_of_a_data_folder_is_refused(roots: tuple[Path, Path], tmp_path: Path) -> None:
    data, _ = roots
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "fer2013.csv").write_text("user,password_hash\n")
    (data / "link").symlink_to(outside)
    (data / "file.csv").symlink_to(outside / "fer2013.csv")
    for text in ("link/fer2013.csv", str(data / "file.csv"), "link"):
        with pytest.raises(DataError, match="must be inside the data folders"):
            allowed_data_path(text)


def test_a_server_csv_with_the_wrong_header_is_not_quoted(roots: tuple[Path, Path]) -> None:
    data, _ = roots
    (data / "users.csv").write_text("user,password_hash\nroot,x\n")
    with pytest.raises(DataError) as info:
        quick_check(allowed_data_path("users.csv"))
    assert "missing column" in str(info.value)
    assert "password_hash" not in str(info.value) and "user" not in str(info.value).split("missing")[1]


def test_an_unreadable_folder_is_a_message_not_a_traceback(
    roots: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What ``/`` gave on main: a PermissionError traceback from walking it (simulated: tests run as root)."""
    data, _ = roots
    (data / "locked").mkdir()

    def denied(self: Path, pattern: str):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "rglob", denied)
    with pytest.raises(DataError, match=r"can't be read \(Permission denied\)"):
        quick_check(allowed_data_path("locked"))
