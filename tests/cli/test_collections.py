"""A sync spaces the cyclic garbage collector's runs and gives the process its settings back."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from pipelines.sync import SYNC_GC_THRESHOLD, collections_spaced


@pytest.fixture
def own_threshold() -> Iterator[tuple[int, int, int]]:
    """The process runs with thresholds of its own (a notebook's, say)."""
    before = gc.get_threshold()
    mine = (500, 5, 5)
    gc.set_threshold(*mine)
    yield mine
    gc.set_threshold(*before)
    gc.unfreeze()


def test_inside_a_sync_collections_are_spaced_and_older_objects_frozen(
    own_threshold: tuple[int, int, int],
) -> None:
    assert gc.get_freeze_count() == 0
    with collections_spaced():
        assert gc.get_threshold() == SYNC_GC_THRESHOLD
        assert gc.get_freeze_count() > 10_000  # modules, classes, functions
    assert gc.get_threshold() == own_threshold
    assert gc.get_freeze_count() == 0


def test_syncs_at_once_restore_only_when_the_last_is_done(
    own_threshold: tuple[int, int, int],
) -> None:
    first, second = collections_spaced(), collections_spaced()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold() == SYNC_GC_THRESHOLD  # the second is still running
    second.__exit__(None, None, None)
    assert gc.get_threshold() == own_threshold
    assert gc.get_freeze_count() == 0


def test_a_failing_sync_restores_them_too(own_threshold: tuple[int, int, int]) -> None:
    with pytest.raises(RuntimeError), collections_spaced():
        raise RuntimeError("the sync failed")
    assert gc.get_threshold() == own_threshold
    assert gc.get_freeze_count() == 0
