"""LEDGERLINE_HOME checks: clear errors for a file or a missing parent, none for a directory
that another thread creates while they run (a sync's vendors start concurrently)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from pipelines import config


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    monkeypatch.setenv(config.HOME_ENV, str(path))
    return path


def test_a_file_is_refused_with_what_to_do(home: Path) -> None:
    home.write_text("")
    with pytest.raises(config.ConfigProblem, match="which is a file: point it at a directory"):
        config.ensure_home()


def test_a_missing_parent_is_refused_and_nothing_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "absent" / "home"
    monkeypatch.setenv(config.HOME_ENV, str(path))
    with pytest.raises(config.ConfigProblem, match="its parent directory .* does not exist"):
        config.ensure_home()
    assert not path.parent.exists()


def test_missing_home_is_created(home: Path) -> None:
    assert config.check_home() == home and not home.exists()  # checking creates nothing
    assert config.ensure_home() == home and home.is_dir()


def test_a_directory_created_between_the_checks_is_accepted(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another thread's mkdir lands right after this thread's first look at the path."""
    looked = False

    def then_created(real):  # type: ignore[no-untyped-def]
        def look(self: Path, *args: object, **kwargs: object) -> bool:
            nonlocal looked
            found = real(self, *args, **kwargs)
            if self == home and not looked:
                looked = True
                home.mkdir()
            return found

        return look

    monkeypatch.setattr(Path, "exists", then_created(Path.exists))
    monkeypatch.setattr(Path, "is_dir", then_created(Path.is_dir))
    assert config.ensure_home() == home
    assert config.check_home() == home  # the directory now exists: a second look accepts it
    assert home.is_dir()


def test_concurrent_first_syncs_all_get_the_directory(home: Path) -> None:
    """Eight first syncs at once, as a sync's vendors start: a smoke check of the whole path.

    Threads rarely interleave inside the few lines between the check and the mkdir, so this
    passes on code with the race too; the race itself is pinned, deterministically, by
    :func:`test_a_directory_created_between_the_checks_is_accepted`.
    """
    results: list[object] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        try:
            results.append(config.ensure_home())
        except config.ConfigProblem as exc:  # pragma: no cover - the failure being guarded
            results.append(exc)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [home] * 8
