"""The sandbox's fast paths serve exactly what the plain paths would.

Start-up warm-up, the page cache, the one-copy page envelope, the hand-rolled request-target
split and the vendors' one-pass encoders are optimizations only: every test here compares one
with the straightforward way of doing the same thing, byte for byte.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import orjson
import pytest

from sandbox.http import Request, parse_request
from sandbox.server import Sandbox
from sandbox.vendors.base import envelope
from sandbox.vendors.hoursmith import HoursmithApp, hs_wire
from sandbox.vendors.ibana import IbanaApp
from sandbox.vendors.wuro import Cents, dumps_wire, wire
from tests.sandbox.helpers import client

SEED, SCALE = 23, 400


def request(target: str, **headers: str) -> Request:
    head = f"GET {target} HTTP/1.1\r\nHost: x\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return parse_request((head + "\r\n").encode())


def auth(sb: Sandbox, vendor: str) -> dict[str, str]:
    c = sb.credentials
    return {
        "baloom": {"X-API-Key": c.baloom_api_key},
        "katsu": {"Authorization": f"Bearer {c.katsu_token}"},
        "ibana": {"Authorization": f"Bearer {c.ibana_token}"},
        "wuro": {"X-APP-ID": c.wuro_app_id, "X-APP-SECRET": c.wuro_app_secret},
        "hoursmith": {"Authorization": f"Bearer {c.hoursmith_token}"},
    }[vendor]


# every list (and a few single objects and errors) of every vendor, in several orders
TARGETS = {
    "baloom": [
        "/api/invoices?page=1&limit=100", "/api/invoices?limit=100&page=2", "/api/invoices",
        "/api/orders?page=2&limit=50", "/api/customers?limit=100", "/api/products",
        "/api/categories", "/api/customers?siteId=site_1&includeGlobal=true", "/api/invoices/x",
    ],
    "katsu": [
        "/api/v1/Invoice/getAll?PageNumber=1&PageSize=100", "/api/v1/Invoice/getAll?PageNumber=2",
        "/api/v1/Invoice/getAll?DueInvoices=true&PageSize=50", "/api/v1/Products?pageSize=100",
        "/api/v1/Counterparties?PageSize=100", "/api/v1/Invoice/getAll?InvoiceStatus=4",
    ],
    "ibana": [
        "/v1/invoice?page=1&limit=100", "/v1/invoice?page=2&limit=100", "/v1/invoice?status=PAID",
        "/v1/accounts-receivable?limit=100", "/v1/counterparty?limit=100",
        "/v1/accounts-receivable?dateFrom=2026-01-01&dateField=due_date",
    ],
    "wuro": [
        "/api/v3.2/invoices?limit=100", "/api/v3.2/invoices?sort=_id:1&skip=100&limit=100",
        "/api/v3.2/invoices?state=inactive", "/api/v3.2/invoices/payments?limit=100",
        "/api/v3.2/invoices?sort=total_ttc:-1&limit=100", "/api/v3.2/clients?sort=_id:1",
        "/api/v3.2/products?limit=100", "/api/v3.2/product-categories",
    ],
    "hoursmith": [
        "/api/v1/invoices?limit=200", "/api/v1/invoices?sort=id&limit=200",
        "/api/v1/invoices?sort=-updatedAt&limit=200", "/api/v1/invoices?sort=total",
        "/api/v1/clients?limit=200", "/api/v1/invoices?status=PAID",
    ],
}  # fmt: skip


def answers(sb: Sandbox) -> dict[tuple[str, str], tuple[int, bytes]]:
    """Status and body of every target, asked of the emulators directly."""
    out = {}
    for vendor, targets in TARGETS.items():
        app = sb.apps[vendor]
        for target in targets:
            resp = app.handle(request(target, **auth(sb, vendor)))
            out[(vendor, target)] = (resp.status, resp.body)
    return out


@pytest.mark.parametrize("faults", ["none", "hostile"])
def test_warm_cached_and_cold_sandboxes_answer_the_same_bytes(faults: str) -> None:
    cold = Sandbox(seed=SEED, scale=SCALE, faults=faults, hoursmith_plan="unlimited", warm=False)
    for app in cold.apps.values():
        app.page_cache_bytes = 0  # every answer built from scratch
    warm = Sandbox(seed=SEED, scale=SCALE, faults=faults, hoursmith_plan="unlimited")
    warm.warm()
    first = answers(warm)
    assert answers(cold) == first
    assert answers(warm) == first  # now from the page cache
    assert any(app._pages for app in warm.apps.values())
    # the clock moves: every cached page is forgotten and built again from the new day
    cold.advance(3)
    warm.advance(3)
    assert answers(warm) == answers(cold)


def test_page_cache_is_bounded_and_skips_fault_pages() -> None:
    sb = Sandbox(seed=SEED, scale=SCALE, hoursmith_plan="unlimited")
    app = sb.apps["baloom"]
    app.forget_pages()
    app.page_cache_bytes = 100_000  # pages of 20 invoices are about 11 kB
    hdrs = auth(sb, "baloom")
    for n in range(1, 13):
        app.handle(request(f"/api/invoices?page={n}&limit=20", **hdrs))
    assert 0 < app._page_bytes <= app.page_cache_bytes
    assert 0 < len(app._pages) < 12  # the oldest pages were evicted
    assert app._page_bytes == sum(len(body) for _, body, _ in app._pages.values())
    page = app.handle(request("/api/invoices?page=12&limit=20", **hdrs)).body
    assert page == app.handle(request("/api/invoices?limit=20&page=12", **hdrs)).body
    # a fault page is neither served from the cache nor kept in it
    faulty = request("/api/invoices?page=12&limit=20", **hdrs)
    faulty.fault = "empty_page"
    assert orjson.loads(app.handle(faulty).body)["data"] == []
    assert app.handle(request("/api/invoices?page=12&limit=20", **hdrs)).body == page
    # a page too large for its share of the cache is served, not kept
    app.forget_pages()
    app.handle(request("/api/invoices?page=1&limit=100", **hdrs))
    assert not app._pages


def test_page_cache_keys_on_the_headers_that_change_an_answer() -> None:
    sb = Sandbox(seed=SEED, scale=SCALE, hoursmith_plan="unlimited")
    app = sb.apps["baloom"]
    hdrs = auth(sb, "baloom")
    everyone = app.handle(request("/api/customers?limit=100", **hdrs)).body
    site = orjson.loads(everyone)["data"][0]["siteId"]
    one_site = app.handle(request("/api/customers?limit=100", **hdrs, **{"X-Site-Id": site})).body
    assert one_site != everyone
    assert app.handle(request("/api/customers?limit=100", **hdrs)).body == everyone
    assert app.handle(request(f"/api/customers?limit=100&siteId={site}", **hdrs)).body == one_site


@pytest.fixture(scope="module")
def studio() -> Iterator[Sandbox]:
    sb = Sandbox(seed=SEED, scale=SCALE, hoursmith_plan="studio").start()
    yield sb
    sb.stop()


def test_cached_pages_still_carry_fresh_rate_limit_headers(studio: Sandbox) -> None:
    with client(studio.base_urls["hoursmith"], auth(studio, "hoursmith")) as c:
        a, b = c.get("/invoices", params={"limit": 200}), c.get("/invoices", params={"limit": 200})
    assert a.status_code == b.status_code == 200
    assert a.content == b.content
    assert int(b.headers["X-RateLimit-Remaining"]) == int(a.headers["X-RateLimit-Remaining"]) - 1
    assert a.headers["date"] == b.headers["date"]


def test_admin_stats_report_the_warm_up(studio: Sandbox) -> None:
    stats = httpx.get(f"{studio.admin_url}/stats", timeout=10).json()
    assert stats["scale"] == SCALE
    assert stats["warm_seconds"] > 0
    assert set(stats["vendors"]) == set(TARGETS)
    assert all(v["records"] > 0 for v in stats["vendors"].values())


@pytest.mark.parametrize(
    "target",
    [
        "/api/invoices?page=2&limit=100",
        "/api/invoices",
        "/api/invoices/",
        "/a%20b/c?x=1&x=2&y=&z",
        "/p?q=a%2Cb&r=%C3%A9#frag",
        "/p#frag?notquery",
        "/p?",
        "/p?&&a=1",
        "/p?a=1+2",
        "//host/api/invoices?page=1",
        "http://127.0.0.1:8000/api/invoices?page=1",
        "*",
    ],
)
def test_request_target_split_matches_urlsplit(target: str) -> None:
    req = parse_request(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    parts = urlsplit(target)
    assert req.path == unquote(parts.path)
    assert req.query == parse_qs(parts.query, keep_blank_values=True)
    assert req.target == target


def test_envelope_is_the_plain_join() -> None:
    rng = random.Random(1)
    for n in (0, 1, 2, 7):
        records = [orjson.dumps({"i": i, "s": "x" * rng.randrange(50)}) for i in range(n)]
        head, tail = b'{"data":', b',"meta":{"total":7}}'
        assert envelope(head, list(records), tail) == head + b"[" + b",".join(records) + b"]" + tail


def test_vendor_encoders_match_converting_first() -> None:
    rng = random.Random(2)
    for _ in range(200):
        cents = Cents(rng.randrange(-(10**7), 10**7))
        obj = {
            "a": cents,
            "n": rng.randrange(100),
            "s": "é" * rng.randrange(3),
            "nested": [{"x": Cents(rng.randrange(10**5)), "y": None}, [Cents(5), 1.5, True]],
        }
        assert dumps_wire(obj) == orjson.dumps(wire(obj))
        flat = {"total": cents, "amountPaid": Cents(rng.randrange(10**4)), "notes": "n", "x": 3}
        assert HoursmithApp.encode(None, flat) == orjson.dumps(hs_wire(flat))  # type: ignore[arg-type]


def test_ibana_ids_are_the_base36_digits_of_the_hash() -> None:
    sb = Sandbox(seed=SEED, scale=50, warm=False)
    app = sb.apps["ibana"]
    assert isinstance(app, IbanaApp)

    def reference(*parts: object) -> str:
        text = "/".join(map(str, (SEED, "ibana", *parts)))
        n = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=16).digest(), "big")
        chars = []
        for _ in range(24):
            n, r = divmod(n, 36)
            chars.append("0123456789abcdefghijklmnopqrstuvwxyz"[r])
        return "c" + "".join(chars)

    for parts in [("line", "doc-1", 3), ("split", "d", 1900), ("bank", "c-9"), ("ledger", "3400")]:
        assert app._id(*parts) == reference(*parts)
        assert app._id(*parts) == reference(*parts)  # memoized ones too
