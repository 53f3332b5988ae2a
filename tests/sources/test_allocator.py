"""Arrow allocates through the C library during a sync, unless the user chose a pool."""

from __future__ import annotations

import pyarrow as pa
import pytest

from pipelines.sync import use_system_allocator


def test_sync_allocates_through_the_c_library_unless_a_pool_is_chosen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = pa.default_memory_pool()
    try:
        pa.set_memory_pool(pa.mimalloc_memory_pool())
        monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
        use_system_allocator()
        assert pa.default_memory_pool().backend_name == "system"

        pa.set_memory_pool(pa.mimalloc_memory_pool())
        monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "mimalloc")  # the user's choice stands
        use_system_allocator()
        assert pa.default_memory_pool().backend_name == "mimalloc"
    finally:
        pa.set_memory_pool(before)
