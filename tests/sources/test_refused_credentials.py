"""A vendor that refuses the credentials fails its sync in one sentence naming the variable.

The probe (the source's first request) fails fast: one request, no retries, no secret in the
message or anywhere in the result.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pipelines.sync import sync
from sandbox.server import Sandbox

# vendor, the variable given a wrong value, that value, the variables the message names (Wuro's
# 401 cannot tell a wrong app id from a wrong secret)
CASES = [
    ("baloom", "SOURCES__BALOOM__API_KEY", "blm_not-the-key", "SOURCES__BALOOM__API_KEY"),
    ("katsu", "SOURCES__KATSU__TOKEN", "katsu_not-the-token", "SOURCES__KATSU__TOKEN"),
    ("ibana", "SOURCES__IBANA__TOKEN", "ibn_not-the-token", "SOURCES__IBANA__TOKEN"),
    (
        "wuro",
        "SOURCES__WURO__APP_SECRET",
        "not-the-secret",
        "SOURCES__WURO__APP_ID and SOURCES__WURO__APP_SECRET",
    ),
    (
        "hoursmith",
        "SOURCES__HOURSMITH__TOKEN",
        "hsk_live_abcdefabcdef_0123456789abcdef0123456789abcdef",
        "SOURCES__HOURSMITH__TOKEN",
    ),
]


@pytest.mark.parametrize(
    ("vendor", "variable", "secret", "named"), CASES, ids=[c[0] for c in CASES]
)
def test_refused_credentials_are_one_sentence_naming_the_variable(
    make_sandbox: Callable[..., Sandbox],
    point_at: Callable[[Sandbox], None],
    monkeypatch: pytest.MonkeyPatch,
    vendor: str,
    variable: str,
    secret: str,
    named: str,
) -> None:
    point_at(make_sandbox(scale=300, hoursmith_plan="unlimited"))
    monkeypatch.setenv(variable, secret)
    (result,) = sync([vendor])
    assert result.error == (
        f"{vendor} refused the credentials (HTTP 401): set {named} to a valid value."
    )
    assert result.stats.requests == 1 and result.stats.retries == 0
    assert secret not in str(result) and secret not in repr(result.stats.errors)
