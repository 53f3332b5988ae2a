"""Small HTTP helpers for contract tests."""

from __future__ import annotations

from typing import Any

import httpx


def client(base_url: str, headers: dict[str, str] | None = None) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers=headers or {}, timeout=10)


def get_json(c: httpx.Client, path: str, **params: Any) -> Any:
    r = c.get(path, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    return r.json()
