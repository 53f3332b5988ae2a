"""Contract tests for the Hoursmith emulator (api-contracts.md section 5), over real HTTP."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest

from sandbox.faults import record_fault
from sandbox.server import Sandbox
from sandbox.world import World
from sandbox.world.model import Document
from tests.sandbox.helpers import client

INVOICE_KEYS = [
    "id", "orgId", "clientId", "number", "status", "paymentStatus", "subtotal",
    "discountAmount", "taxRate", "total", "amountPaid", "currency", "notes", "billToName",
    "issueDate", "dueDate", "sentAt", "paidAt", "createdAt", "updatedAt", "deletedAt",
]  # fmt: skip
CLIENT_KEYS = [
    "id", "orgId", "name", "contactName", "email", "phone", "currency", "billingCountry",
    "taxNumber", "defaultPaymentTerms", "createdAt", "updatedAt", "deletedAt",
]  # fmt: skip
MONEY = ("subtotal", "discountAmount", "taxRate", "total", "amountPaid")
MONEY_RE = re.compile(r"-?\d+\.\d{2}")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
TS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}")
SORTS = (
    "amountPaid", "createdAt", "dueDate", "id", "issueDate", "number", "paidAt",
    "paymentStatus", "sentAt", "status", "total", "updatedAt",
)  # fmt: skip


def parse(r: httpx.Response) -> Any:
    """A JSON body with every JSON fraction as an exact Decimal."""
    return json.loads(r.text, parse_float=Decimal)


def hs(sb: Sandbox, token: str | None = None) -> httpx.Client:
    auth = f"Bearer {token or sb.credentials.hoursmith_token}"
    return client(sb.base_urls["hoursmith"], {"Authorization": auth})


def walk(c: httpx.Client, path: str = "/invoices", limit: int = 200, **params: Any) -> list[dict]:
    """Every record of a cursor-paged list, checking the envelope of each page."""
    out: list[dict] = []
    cursor = None
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        r = c.get(path, params=query)
        assert r.status_code == 200, r.text
        body = parse(r)
        assert list(body) == ["data", "pagination"]
        assert list(body["pagination"]) == ["nextCursor", "limit"]
        assert body["pagination"]["limit"] == limit
        out.extend(body["data"])
        cursor = body["pagination"]["nextCursor"]
        if cursor is None:
            return out
        assert len(body["data"]) == limit


def error_of(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert list(body) == ["error"] and body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def visible(sb: Sandbox) -> list[Document]:
    return [d for d in sb.world.documents("hoursmith") if d.deleted != "hard"]


def ordered(records: list[dict], field: str, desc: bool) -> list[str]:
    """Ids in the documented order: value (money numerically), then id; nulls last."""

    def conv(v: Any) -> Any:
        return Decimal(v) if field in ("amountPaid", "total") else v

    present = sorted(
        (r for r in records if r[field] is not None),
        key=lambda r: (conv(r[field]), r["id"]),
        reverse=desc,
    )
    nulls = sorted((r for r in records if r[field] is None), key=lambda r: r["id"], reverse=desc)
    return [r["id"] for r in present + nulls]


@pytest.fixture(scope="module")
def free() -> Iterator[Sandbox]:
    """A sandbox like ``sandbox`` but on the unlimited plan, for tests with many requests."""
    sb = Sandbox(seed=11, scale=300, hoursmith_plan="unlimited").start()
    yield sb
    sb.stop()


@pytest.fixture(scope="module")
def invoices(free: Sandbox) -> list[dict[str, Any]]:
    with hs(free) as c:
        return walk(c, limit=37)


@pytest.mark.parametrize(
    "auth",
    [
        None,
        "Basic abc",
        "Bearer",
        "Bearer hsk_prod_abcdefabcdef_0123456789abcdef0123456789abcdef",
        "Bearer hsk_test_abcdef_0123456789abcdef0123456789abcdef",
        "Bearer hsk_live_abcdefabcdef_0123456789abcdef0123456789abcdef",
    ],
)
def test_missing_malformed_and_unknown_tokens_get_401(free: Sandbox, auth: str | None) -> None:
    headers = {"Authorization": auth} if auth else {}
    with client(free.base_urls["hoursmith"], headers) as c:
        for path in ("/invoices", "/clients", "/invoices/x"):
            error_of(c.get(path), 401, "unauthenticated")


def test_pagination_is_complete_newest_first(free: Sandbox, invoices: list) -> None:
    ids = [i["id"] for i in invoices]
    assert len(ids) == len(set(ids)) and set(ids) == {d.id for d in visible(free)}
    assert ids == ordered(invoices, "createdAt", desc=True)
    with hs(free) as c:
        body = parse(c.get("/invoices"))
        assert body["pagination"]["limit"] == 50 and len(body["data"]) == 50
        assert [i["id"] for i in body["data"]] == ids[:50]
        assert walk(c, limit=200) == invoices
        one = walk(c, limit=1, clientId=invoices[0]["clientId"], status="SENT")
        assert one and all(i["clientId"] == invoices[0]["clientId"] for i in one)


@pytest.mark.parametrize("limit", ["0", "201", "-3", "ten"])
def test_limit_bounds_give_400(free: Sandbox, limit: str) -> None:
    with hs(free) as c:
        err = error_of(c.get("/invoices", params={"limit": limit}), 400, "bad_request")
    assert "limit" in err["fields"]


@pytest.mark.parametrize("field", SORTS)
@pytest.mark.parametrize("desc", [False, True])
def test_sort_every_field_both_directions(
    free: Sandbox, invoices: list, field: str, desc: bool
) -> None:
    with hs(free) as c:
        got = walk(c, limit=120, sort=("-" if desc else "") + field)
    assert [i["id"] for i in got] == ordered(invoices, field, desc)


def test_bad_sorts_and_cursors_give_400(free: Sandbox) -> None:
    with hs(free) as c:
        for sort in ("subtotal", "--total", "notes", "+total"):
            error_of(c.get("/invoices", params={"sort": sort}), 400, "bad_request")
        error_of(c.get("/clients", params={"sort": "total"}), 400, "bad_request")
        cursor = parse(c.get("/invoices", params={"sort": "total", "limit": 5}))
        nxt = cursor["pagination"]["nextCursor"]
        err = error_of(c.get("/invoices", params={"cursor": nxt}), 400, "bad_request")
        assert "cursor" in err["fields"]
        error_of(c.get("/invoices", params={"cursor": nxt, "sort": "-total"}), 400, "bad_request")
        assert c.get("/invoices", params={"cursor": nxt, "sort": "total"}).status_code == 200
        for junk in ("abc", "!!!", "WyJ4Il0"):
            error_of(c.get("/invoices", params={"cursor": junk}), 400, "bad_request")


def test_invoice_fields_types_and_invariant(free: Sandbox, invoices: list) -> None:
    by_id = {d.id: d for d in visible(free)}
    cents = Decimal("0.01")
    for inv in invoices:
        d = by_id[inv["id"]]
        assert list(inv) == INVOICE_KEYS
        assert all(UUID.fullmatch(inv[k]) for k in ("id", "orgId", "clientId"))
        m = {k: Decimal(inv[k]) for k in MONEY}
        assert all(isinstance(inv[k], str) and MONEY_RE.fullmatch(inv[k]) for k in MONEY)
        want = ((m["subtotal"] - m["discountAmount"]) * (1 + m["taxRate"] / 100)).quantize(
            cents, ROUND_HALF_UP
        )
        assert m["total"] == want == Decimal(d.gross).scaleb(-2)
        assert inv["status"] in ("DRAFT", "SENT", "PAID", "CANCELLED")
        assert (inv["status"] == "PAID") == (inv["paymentStatus"] == "paid")
        if inv["paymentStatus"] == "unpaid":
            assert m["amountPaid"] == 0
        elif inv["paymentStatus"] == "partially_paid":
            assert 0 < m["amountPaid"] < m["total"]
        else:
            assert m["amountPaid"] == m["total"] and TS.fullmatch(inv["paidAt"])
        assert DAY.fullmatch(inv["issueDate"]) and DAY.fullmatch(inv["dueDate"])
        assert inv["dueDate"] == d.effective_due_date.isoformat()
        assert inv["notes"] == d.effective_notes and inv["billToName"] == d.customer.name
        for k in ("sentAt", "paidAt", "deletedAt"):
            assert inv[k] is None or TS.fullmatch(inv[k])
        assert TS.fullmatch(inv["createdAt"]) and inv["createdAt"] <= inv["updatedAt"]
        assert (inv["sentAt"] is None) == (inv["status"] == "DRAFT")
        assert (inv["deletedAt"] is not None) == (d.deleted == "soft")
        if inv["deletedAt"]:
            assert inv["updatedAt"] == inv["deletedAt"]
    assert any(i["deletedAt"] for i in invoices)
    statuses = Counter(i["status"] for i in invoices)
    assert statuses["PAID"] and statuses["SENT"] and statuses["CANCELLED"]
    assert any(i["discountAmount"] != "0.00" for i in invoices)
    assert {i["taxRate"] for i in invoices} >= {"0.00", "20.00"}


def test_single_objects_and_404(free: Sandbox, invoices: list) -> None:
    with hs(free) as c:
        for inv in invoices[:3] + [i for i in invoices if i["deletedAt"]]:
            body = parse(c.get(f"/invoices/{inv['id']}"))
            assert list(body) == ["data"] and body["data"] == inv
        clients = walk(c, "/clients")
        body = parse(c.get(f"/clients/{clients[0]['id']}"))
        assert body == {"data": clients[0]}
        error_of(c.get("/invoices/00000000-0000-4000-8000-000000000000"), 404, "not_found")
        error_of(c.get("/clients/nope"), 404, "not_found")
        error_of(c.get("/nowhere"), 404, "not_found")
        error_of(c.get(f"/invoices/{invoices[0]['id']}", params={"x": 1}), 400, "bad_request")


def test_every_invoice_filter(free: Sandbox, invoices: list) -> None:
    with hs(free) as c:

        def ids(**params: Any) -> list[str]:
            return [i["id"] for i in walk(c, limit=200, **params)]

        def where(pred: Callable[[dict], bool]) -> list[str]:
            return [i["id"] for i in invoices if pred(i)]

        for status in ("DRAFT", "SENT", "PAID", "CANCELLED"):

            def has_status(i: dict, s: str = status) -> bool:
                return i["status"] == s

            assert ids(status=status) == where(has_status)
        for ps in ("unpaid", "partially_paid", "paid"):

            def has_payment_status(i: dict, s: str = ps) -> bool:
                return i["paymentStatus"] == s

            assert ids(paymentStatus=ps) == where(has_payment_status)
        assert ids(paymentStatus="refunded") == []
        cid = invoices[5]["clientId"]
        assert ids(clientId=cid) == where(lambda i: i["clientId"] == cid)
        lo, hi = "2025-06-01", "2025-09-30"
        for col in ("issueDate", "dueDate", "sentAt", "paidAt", "createdAt"):

            def in_range(i: dict, k: str = col) -> bool:
                return i[k] is not None and lo <= i[k][:10] <= hi

            want = where(in_range)
            assert want and ids(**{f"{col}From": lo, f"{col}To": hi}) == want, col
            iso = ids(**{f"{col}From": f"{lo}T00:00:00Z", f"{col}To": f"{hi}T23:59:59Z"})
            assert iso == want, col
        stamp = invoices[40]["createdAt"]
        assert ids(createdAtFrom=stamp) == where(lambda i: i["createdAt"] >= stamp)
        assert ids(createdAtTo=stamp) == where(lambda i: i["createdAt"] <= stamp)
        both = ids(status="PAID", issueDateFrom=lo, paidAtTo=hi)
        assert both == where(
            lambda i: i["status"] == "PAID" and i["issueDate"] >= lo and i["paidAt"][:10] <= hi
        )
        for bad in ({"status": "OPEN"}, {"paymentStatus": "PAID"}, {"issueDateFrom": "june"}):
            err = error_of(c.get("/invoices", params=bad), 400, "bad_request")
            assert set(err["fields"]) == set(bad)
        for absent in ("updatedAtFrom", "updatedAtTo", "since", "page"):
            err = error_of(c.get("/invoices", params={absent: "2025-01-01"}), 400, "bad_request")
            assert absent in err["message"] and set(err["fields"]) == {absent}


def test_clients_fields_and_updated_filter(free: Sandbox) -> None:
    books = free.world.books["hoursmith"]
    with hs(free) as c:
        clients = walk(c, "/clients", limit=4)
        assert {x["id"] for x in clients} == {x.id for x in books.customers}
        assert [x["id"] for x in clients] == ordered(clients, "createdAt", desc=True)
        for x in clients:
            assert list(x) == CLIENT_KEYS and isinstance(x["defaultPaymentTerms"], int)
            assert TS.fullmatch(x["createdAt"]) and TS.fullmatch(x["updatedAt"])
        stamp = sorted(x["updatedAt"] for x in clients)[len(clients) // 2]
        got = walk(c, "/clients", updatedAtFrom=stamp)
        assert {x["id"] for x in got} == {x["id"] for x in clients if x["updatedAt"] >= stamp}
        got = walk(c, "/clients", updatedAtTo=stamp[:10])
        assert {x["id"] for x in got} == {
            x["id"] for x in clients if x["updatedAt"][:10] <= stamp[:10]
        }
        assert [x["id"] for x in walk(c, "/clients", sort="name")] == ordered(
            clients, "name", False
        )
        error_of(c.get("/clients", params={"createdAtFrom": "2025-01-01"}), 400, "bad_request")


def test_cursor_is_stable_while_the_clock_moves(make_sandbox: Callable[..., Sandbox]) -> None:
    sb = make_sandbox(hoursmith_plan="unlimited")
    with hs(sb) as c:
        for sort in ("-createdAt", "createdAt", "-updatedAt", "total"):
            before = {d.id for d in visible(sb)}
            first = parse(c.get("/invoices", params={"limit": 60, "sort": sort}))
            seen = [i["id"] for i in first["data"]]
            sb.advance(20)
            seen += [i["id"] for i in _continue(c, sort, first["pagination"]["nextCursor"])]
            assert len(seen) == len(set(seen)), sort  # no repeat
            if sort != "-updatedAt":  # an update moves a record behind the watermark reader
                assert before <= set(seen), sort  # no skip of what existed before
            if sort == "createdAt":  # oldest first: what was created meanwhile comes last
                assert {d.id for d in visible(sb)} - before <= set(seen[60:])


def _continue(c: httpx.Client, sort: str, cursor: str | None) -> list[dict]:
    out: list[dict] = []
    while cursor:
        body = parse(c.get("/invoices", params={"limit": 60, "sort": sort, "cursor": cursor}))
        out.extend(body["data"])
        cursor = body["pagination"]["nextCursor"]
    return out


def test_soft_deletes_show_deleted_at_after_the_clock_moves(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    # find, in a private copy of the world, a future document that gets soft-deleted
    oracle = World(seed=11, scale=300)
    start = oracle.clock
    oracle.advance(120)
    target = next(
        d for d in oracle.documents("hoursmith")
        if d.deleted == "soft" and d.created_at.date() > start
    )  # fmt: skip
    created, deleted = target.created_at.date(), target.deleted_at
    assert deleted is not None and deleted.date() > created
    gone = next(c for c in oracle.customers("hoursmith") if c.deleted_on)
    sb = make_sandbox(hoursmith_plan="unlimited")
    with hs(sb) as c:
        sb.advance((created - start).days)
        inv = parse(c.get(f"/invoices/{target.id}"))["data"]
        assert inv["deletedAt"] is None and inv["status"] == "DRAFT"
        sb.advance((deleted.date() - created).days)
        inv = parse(c.get(f"/invoices/{target.id}"))["data"]
        assert inv["deletedAt"] == deleted.strftime("%Y-%m-%dT%H:%M:%SZ") == inv["updatedAt"]
        listed = walk(c, createdAtFrom=created.isoformat(), createdAtTo=created.isoformat())
        assert inv in listed
        top = parse(c.get("/invoices", params={"sort": "-updatedAt", "limit": 10}))["data"]
        assert target.id in {i["id"] for i in top}
        assert gone.deleted_on is not None
        if gone.deleted_on.date() > date(2026, 11, 2):
            before = parse(c.get(f"/clients/{gone.id}"))["data"]
            sb.advance((gone.deleted_on.date() - sb.world.clock).days)
            after = parse(c.get(f"/clients/{gone.id}"))["data"]
            assert before["deletedAt"] is None and after["deletedAt"] == after["updatedAt"]
            since = walk(c, "/clients", updatedAtFrom=gone.deleted_on.date().isoformat())
            assert [x["id"] for x in since] == [gone.id]


def test_rate_limit_headers_and_429(sandbox: Sandbox) -> None:
    with hs(sandbox) as c:
        responses = [
            c.get("/invoices", params={"limit": 1}),
            c.get("/clients"),
            c.get("/invoices/nope"),
            c.get("/invoices", params={"limit": 0}),
        ]
        for r in responses:
            assert int(r.headers["X-RateLimit-Limit"]) == 30
            assert 0 <= int(r.headers["X-RateLimit-Remaining"]) < 30
            assert abs(int(r.headers["X-RateLimit-Reset"]) - time.time()) <= 11
        remaining = [int(r.headers["X-RateLimit-Remaining"]) for r in responses]
        assert remaining == sorted(remaining, reverse=True)
        statuses = []
        for _ in range(40):
            r = c.get("/invoices", params={"limit": 1})
            assert "X-RateLimit-Remaining" in r.headers
            statuses.append(r.status_code)
            if r.status_code == 429:
                break
        assert statuses.count(200) <= 26 and statuses[-1] == 429
        error_of(r, 429, "rate_limited")
        assert 1 <= int(r.headers["Retry-After"]) <= 10
        assert r.headers["X-RateLimit-Remaining"] == "0"
    with client(sandbox.base_urls["hoursmith"], {}) as anon:
        assert "X-RateLimit-Limit" not in anon.get("/invoices").headers


def _get(c: httpx.Client, path: str, seen: Counter, **params: Any) -> httpx.Response:
    """GET until a well-formed 200, counting what went wrong on the way."""
    for _ in range(12):
        try:
            r = c.get(path, params=params)
        except httpx.TransportError:
            seen["transport"] += 1
            continue
        seen[r.status_code] += 1
        if r.status_code == 200 and r.headers["content-type"].startswith("application/json"):
            try:
                parse(r)
            except ValueError:
                seen["garbled"] += 1
                continue
            return r
        if r.status_code in (429, 500):
            error_of(r, r.status_code, "rate_limited" if r.status_code == 429 else "internal")
    raise AssertionError(f"no clean answer for {path} {params}")


def _walk_retrying(c: httpx.Client, seen: Counter, path: str, limit: int) -> list[bytes]:
    bodies, cursor = [], None
    while True:
        r = _get(c, path, seen, limit=limit, **({"cursor": cursor} if cursor else {}))
        bodies.append(r.content)
        cursor = parse(r)["pagination"]["nextCursor"]
        if cursor is None:
            return bodies


def test_flaky_profile_only_500_and_429_and_identical_bytes(
    free: Sandbox, make_sandbox: Callable[..., Sandbox]
) -> None:
    flaky = make_sandbox(faults="flaky", hoursmith_plan="unlimited")
    seen: Counter = Counter()
    with hs(flaky) as fc, hs(free) as cc:
        assert _walk_retrying(fc, seen, "/invoices", 10) == _walk_retrying(
            cc, Counter(), "/invoices", 10
        )
        assert _walk_retrying(fc, seen, "/clients", 5) == _walk_retrying(
            cc, Counter(), "/clients", 5
        )
        for d in visible(free)[:60]:
            assert (
                _get(fc, f"/invoices/{d.id}", seen).content == cc.get(f"/invoices/{d.id}").content
            )
    assert seen[500] and seen[429]
    assert set(seen) <= {200, 429, 500, "transport"}


def test_hostile_records_are_malformed(make_sandbox: Callable[..., Sandbox]) -> None:
    sb = make_sandbox(seed=17, faults="hostile", hoursmith_plan="unlimited")
    faults = {d.id: record_fault(17, "hoursmith", d.id) for d in visible(sb)}
    bad = {rid: f for rid, f in faults.items() if f in ("bad_amount", "missing_id", "unknown_enum")}
    assert set(bad.values()) == {"bad_amount", "missing_id", "unknown_enum"}
    seen: Counter = Counter()
    with hs(sb) as c:
        for rid, fault in bad.items():
            inv = parse(_get(c, f"/invoices/{rid}", seen))["data"]
            if fault == "bad_amount":
                assert inv["total"] == "abc"
            elif fault == "missing_id":
                assert "id" not in inv
            else:
                assert inv["status"] == "ARCHIVED"
        listed: list[dict] = []
        cursor = None
        while True:
            body = parse(
                _get(c, "/invoices", seen, limit=100, **({"cursor": cursor} if cursor else {}))
            )
            listed += body["data"]
            cursor = body["pagination"]["nextCursor"]
            if cursor is None:
                break
    assert len(listed) == len(faults)
    assert sum(1 for i in listed if i.get("total") == "abc") == Counter(bad.values())["bad_amount"]
    assert sum(1 for i in listed if "id" not in i) == Counter(bad.values())["missing_id"]
    assert (
        sum(1 for i in listed if i["status"] == "ARCHIVED") == Counter(bad.values())["unknown_enum"]
    )


def test_same_seed_and_scale_give_identical_bytes(
    free: Sandbox, make_sandbox: Callable[..., Sandbox]
) -> None:
    twin = make_sandbox(hoursmith_plan="unlimited")
    queries: tuple[dict[str, str | int], ...] = (
        {"limit": 200},
        {"sort": "total", "limit": 100},
        {"status": "PAID"},
    )
    with hs(free) as a, hs(twin) as b:
        for params in queries:
            ra, rb = a.get("/invoices", params=params), b.get("/invoices", params=params)
            assert ra.status_code == 200 and ra.content == rb.content
            nxt = parse(ra)["pagination"]["nextCursor"]
            if nxt:
                params = {**params, "cursor": nxt}
                assert (
                    a.get("/invoices", params=params).content
                    == b.get("/invoices", params=params).content
                )
        assert a.get("/clients").content == b.get("/clients").content
