"""The data dictionary: every core and mart column documented, docs/warehouse.md current."""

from __future__ import annotations

from transforms import docs


def test_every_core_and_mart_column_is_documented() -> None:
    assert docs.undocumented() == []


def test_generated_dictionary_is_current() -> None:
    assert docs.DOC_PATH.read_text() == docs.render(), "run: python -m transforms.docs"
