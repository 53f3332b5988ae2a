"""Contract tests for the Katsu Pay emulator (api-contracts.md section 2), over real HTTP."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sandbox.faults import record_fault
from sandbox.server import Sandbox
from sandbox.world.books import KatsuBooks
from sandbox.world.model import Document
from tests.sandbox.helpers import client


def keys(names: str) -> set[str]:
    """A set of JSON keys from a space-separated list."""
    return set(names.split())


INVOICES = "/api/v1/Invoice/getAll"
ONE = "/api/v1/Invoice/getbyId"
INVOICE_KEYS = keys(
    "id invoiceId counterpartyId counterPartyName accountName dueDate currency "
    "discountType description billingCycle recuringInvoice paymentOption userId amount "
    "notifications paidAmount created invoiceStatus beforeDueDate afterDueDate onDueDate"
)
PAGE_KEYS = ["pageNumber", "pageSize", "total", "succeeded", "message", "errors", "data"]
CURRENCY = {"NGN": 1, "USD": 2, "GBP": 3, "EUR": 4, "KES": 5}
TS_MS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
MIDNIGHT = re.compile(r"\d{4}-\d{2}-\d{2}T00:00:00\.000Z")


def parse(r: httpx.Response) -> Any:
    """A JSON body with every JSON fraction as an exact Decimal."""
    return json.loads(r.text, parse_float=Decimal)


def katsu(sb: Sandbox, token: str | None = None) -> httpx.Client:
    return client(
        sb.base_urls["katsu"], {"Authorization": f"Bearer {token or sb.credentials.katsu_token}"}
    )


def pages(
    c: httpx.Client, path: str, size: int = 100, lower: bool = False, **params: Any
) -> list[dict[str, Any]]:
    """Every page of a paged endpoint, checking the envelope of each."""
    num, sz = ("pageNumber", "pageSize") if lower else ("PageNumber", "PageSize")
    out: list[dict[str, Any]] = []
    n = 1
    while True:
        r = c.get(path, params={**params, num: n, sz: size})
        assert r.status_code == 200, r.text
        body = parse(r)
        assert list(body) == PAGE_KEYS
        assert (body["pageNumber"], body["pageSize"]) == (n, size)
        assert body["succeeded"] is True and body["message"] == "" and body["errors"] == []
        out.extend(body["data"])
        if n * size >= body["total"]:
            assert len(out) == body["total"]
            return out
        assert len(body["data"]) == size
        n += 1


def live(sb: Sandbox) -> list[Document]:
    return [
        d for d in sb.world.documents("katsu") if d.endpoint == "invoices" and d.deleted != "hard"
    ]


def expected_status(d: Document, sb: Sandbox) -> set[int]:
    """Written from the contract, independently of the emulator."""
    if d.state == "draft":
        return {1}
    if d.state == "cancelled":
        return {7}
    if d.state == "paid":
        return {4}
    if d.paid > 0:
        return {5}
    return {6} if d.effective_due_date < sb.world.clock else {2, 3}


def assert_error(r: httpx.Response, status: int) -> None:
    assert r.status_code == status
    body = r.json()
    assert list(body) == ["succeeded", "message", "errors", "data"]
    assert body["succeeded"] is False and body["data"] is None
    assert isinstance(body["message"], str) and body["message"]
    assert body["errors"] and all(isinstance(e, str) for e in body["errors"])


@pytest.fixture(scope="module")
def all_invoices(sandbox: Sandbox) -> list[dict[str, Any]]:
    with katsu(sandbox) as c:
        return pages(c, INVOICES)


# ----------------------------------------------------------------------------- auth, envelopes


@pytest.mark.parametrize(
    "path", [INVOICES, ONE + "?InvoiceId=00000000-0000-4000-8000-000000000000", "/api/v1/Products"]
)
def test_missing_and_wrong_credentials_get_401(sandbox: Sandbox, path: str) -> None:
    with client(sandbox.base_urls["katsu"]) as c:
        assert_error(c.get(path), 401)
    with katsu(sandbox, "katsu_wrong") as c:
        assert_error(c.get(path), 401)
    with client(sandbox.base_urls["katsu"], {"X-API-Key": sandbox.credentials.katsu_token}) as c:
        assert_error(c.get(path), 401)


def test_pagination_is_complete_without_gap_or_repeat(sandbox: Sandbox, all_invoices: list) -> None:
    ids = [r["id"] for r in all_invoices]
    assert len(ids) == len(set(ids))
    assert set(ids) == {d.id for d in live(sandbox)}
    with katsu(sandbox) as c:
        small = pages(c, INVOICES, size=7)
        assert [r["id"] for r in small] == ids
        default = parse(c.get(INVOICES))
        assert (
            default["pageNumber"] == 1 and default["pageSize"] == 10 and len(default["data"]) == 10
        )
        beyond = parse(c.get(INVOICES, params={"PageNumber": 1000, "PageSize": 100}))
        assert beyond["data"] == [] and beyond["total"] == len(ids)


@pytest.mark.parametrize(
    "params",
    [
        {"PageSize": 0},
        {"PageSize": 101},
        {"PageSize": "ten"},
        {"PageNumber": 0},
        {"PageNumber": -1},
    ],
)
def test_page_bounds_give_400(sandbox: Sandbox, params: dict) -> None:
    with katsu(sandbox) as c:
        assert_error(c.get(INVOICES, params=params), 400)
        assert_error(c.get("/api/v1/Counterparties", params=params), 400)
        lower = {k[0].lower() + k[1:]: v for k, v in params.items()}
        assert_error(c.get("/api/v1/Products", params=lower), 400)
        assert c.get(INVOICES, params={"PageSize": 100}).status_code == 200


def test_sort_is_newest_first_then_id(all_invoices: list) -> None:
    keys = [(r["created"], r["id"]) for r in all_invoices]
    for (c1, i1), (c2, i2) in zip(keys, keys[1:], strict=False):
        assert c1 > c2 or (c1 == c2 and i1 < i2)


def test_single_invoice_envelope_and_errors(sandbox: Sandbox, all_invoices: list) -> None:
    with katsu(sandbox) as c:
        for rec in all_invoices[:: max(1, len(all_invoices) // 15)]:
            r = c.get(ONE, params={"InvoiceId": rec["id"]})
            assert r.status_code == 200
            body = parse(r)
            assert list(body) == ["succeeded", "message", "errors", "data"]
            assert body["succeeded"] is True and body["errors"] == []
            assert body["data"] == rec
        assert_error(c.get(ONE, params={"InvoiceId": "11111111-1111-4111-8111-111111111111"}), 404)
        assert_error(c.get(ONE, params={"InvoiceId": "not-a-uuid"}), 400)
        assert_error(c.get(ONE), 400)
        assert_error(c.get("/api/v1/Invoice/nothing"), 404)


# ----------------------------------------------------------------------------- fields


def test_invoice_fields_types_and_exact_money(sandbox: Sandbox, all_invoices: list) -> None:
    docs = {d.id: d for d in live(sandbox)}
    for rec in all_invoices:
        assert set(rec) == INVOICE_KEYS
        d = docs[rec["id"]]
        x = d.extra
        assert rec["invoiceId"] == d.number
        assert rec["counterpartyId"] == d.customer.id
        assert rec["counterPartyName"] == d.customer.name
        assert rec["accountName"] == x["accountName"]
        assert rec["dueDate"] == f"{d.effective_due_date.isoformat()}T00:00:00.000Z"
        assert MIDNIGHT.fullmatch(rec["dueDate"]) and TS_MS.fullmatch(rec["created"])
        assert rec["currency"] == CURRENCY[d.currency]
        assert rec["description"] == d.effective_notes
        for k in ("discountType", "billingCycle", "paymentOption", "beforeDueDate", "afterDueDate"):
            assert type(rec[k]) is int and rec[k] == x[k]
        assert rec["discountType"] in (1, 2) and 1 <= rec["billingCycle"] <= 7
        assert 1 <= rec["paymentOption"] <= 6
        assert type(rec["recuringInvoice"]) is bool and type(rec["onDueDate"]) is bool
        assert rec["recuringInvoice"] == (rec["billingCycle"] != 1)
        assert rec["userId"] == x["userId"] and isinstance(rec["notifications"], str)
        for k in ("amount", "paidAmount"):
            assert isinstance(rec[k], int | Decimal) and not isinstance(rec[k], bool)
        assert rec["amount"] == Decimal(d.gross) / 100
        assert rec["paidAmount"] == Decimal(d.paid) / 100
        assert rec["invoiceStatus"] in expected_status(d, sandbox)
    statuses = Counter(r["invoiceStatus"] for r in all_invoices)
    assert {4, 5, 6, 7} <= set(statuses) and {2, 3} & set(statuses)
    assert any(isinstance(r["amount"], Decimal) for r in all_invoices)


def test_products_and_counterparties(sandbox: Sandbox) -> None:
    books = sandbox.world.books["katsu"]
    assert isinstance(books, KatsuBooks)
    with katsu(sandbox) as c:
        products = pages(c, "/api/v1/Products", size=3, lower=True)
        parties = pages(c, "/api/v1/Counterparties", size=4)
        # Products page with the lower-case names only: PageSize is not theirs
        assert parse(c.get("/api/v1/Products", params={"PageSize": 3}))["pageSize"] == 10
    assert {p["id"] for p in products} == {p.id for p in books.products}
    assert len(products) == len(books.products)
    price = {p.id: p.price for p in books.products}
    for p in products:
        assert set(p) == {
            "id",
            "name",
            "description",
            "price",
            "categoryId",
            "imageUrl",
            "availability",
            "createdAt",
            "updatedAt",
        }
        assert p["price"] == Decimal(price[p["id"]]) / 100
    assert [p["createdAt"] for p in products] == sorted(
        (p["createdAt"] for p in products), reverse=True
    )
    assert [p["id"] for p in parties] == [
        cu.id for cu in sorted(books.customers, key=lambda cu: cu.created_at, reverse=True)
    ]
    for p in parties:
        assert set(p) == {"id", "name", "email", "phone", "groupId", "created"}
        assert p["groupId"] in books.groups and TS_MS.fullmatch(p["created"])


# ----------------------------------------------------------------------------- filters


def test_every_filter(sandbox: Sandbox, all_invoices: list) -> None:
    docs = live(sandbox)
    clock = sandbox.world.clock
    cust = Counter(d.customer.id for d in docs).most_common(1)[0][0]
    name = next(d.customer.name for d in docs if d.customer.id == cust)
    fragment = name.split()[1].lower()
    number = docs[len(docs) // 2].number
    cases: list[tuple[dict[str, Any], Callable[[Document], bool]]] = [
        ({"CounterpartyId": cust}, lambda d: d.customer.id == cust),
        ({"Counterparty": fragment}, lambda d: fragment in d.customer.name.lower()),
        ({"AccountName": "Main account 2"}, lambda d: d.extra["accountName"] == "Main account 2"),
        ({"AccountName": "main account 2"}, lambda d: False),
        ({"RecuringInvoice": "true"}, lambda d: d.extra["recuringInvoice"]),
        ({"RecuringInvoice": "false"}, lambda d: not d.extra["recuringInvoice"]),
        ({"GlobalSearch": number}, lambda d: d.number == number),
        ({"GlobalSearch": fragment.upper()}, lambda d: fragment in d.customer.name.lower()),
        ({"GlobalSearch": "october 2026"}, lambda d: "october 2026" in d.effective_notes.lower()),
        ({"DueInvoices": "true"}, lambda d: d.state == "open" and d.effective_due_date < clock),
        ({"DueInvoices": "false"}, lambda d: True),
        (
            {"CounterpartyId": cust, "RecuringInvoice": "true"},
            lambda d: d.customer.id == cust and d.extra["recuringInvoice"],
        ),
    ]
    for code in range(1, 8):

        def has_status(d: Document, code: int = code) -> bool:
            return expected_status(d, sandbox) == {code}

        cases.append(({"InvoiceStatus": code}, has_status))
    order = [r["id"] for r in all_invoices]
    by_status: dict[int, list[str]] = {}
    with katsu(sandbox) as c:
        for params, keep in cases:
            got = [r["id"] for r in pages(c, INVOICES, **params)]
            assert got == [i for i in order if i in set(got)], params  # same order as unfiltered
            if "InvoiceStatus" in params and params["InvoiceStatus"] in (2, 3):
                by_status[params["InvoiceStatus"]] = got
                continue
            assert set(got) == {d.id for d in docs if keep(d)}, params
            # no draft at this clock: InvoiceStatus=1 is exercised in the clock test below
            assert got or params in ({"AccountName": "main account 2"}, {"InvoiceStatus": 1})
        pending = {d.id for d in docs if expected_status(d, sandbox) == {2, 3}}
        assert set(by_status[2]) | set(by_status[3]) == pending and pending
        for params in ({"InvoiceStatus": "x"}, {"RecuringInvoice": "yes"}, {"DueInvoices": "1"}):
            assert_error(c.get(INVOICES, params=params), 400)


# ----------------------------------------------------------------------------- the clock


def test_hard_delete_and_payment_after_advancing(make_sandbox: Callable[..., Sandbox]) -> None:
    sb = make_sandbox()
    world = sb.world

    def pending(kind: str) -> list[Document]:
        return [
            d
            for d in world.documents("katsu")
            if d.deleted is None
            and d.state in ("draft", "open")
            and any(e.kind == kind and e.at > world.now for e in d.events)
        ]

    for _ in range(400):
        doomed = pending("delete")
        if doomed:
            break
        sb.advance(1)
    draft = doomed[0]
    payer = pending("payment")[0]
    pay = next(e for e in payer.events if e.kind == "payment" and e.at > world.now)
    with katsu(sb) as c:
        before = parse(c.get(ONE, params={"InvoiceId": draft.id}))["data"]
        assert before["invoiceStatus"] == 1
        assert draft.id in {r["id"] for r in pages(c, INVOICES)}
        assert draft.id in {r["id"] for r in pages(c, INVOICES, InvoiceStatus=1)}
        paid_before = parse(c.get(ONE, params={"InvoiceId": payer.id}))["data"]["paidAmount"]
        delete_at = next(e.at for e in draft.events if e.kind == "delete")
        days = max((delete_at.date() - world.clock).days, (pay.at.date() - world.clock).days)
        sb.advance(days)
        assert draft.deleted == "hard"
        assert_error(c.get(ONE, params={"InvoiceId": draft.id}), 404)
        ids = {r["id"] for r in pages(c, INVOICES)}
        assert draft.id not in ids and ids == {d.id for d in live(sb)}
        after = parse(c.get(ONE, params={"InvoiceId": payer.id}))["data"]
        assert after["paidAmount"] == Decimal(payer.paid) / 100 > paid_before
        assert after["invoiceStatus"] == (4 if payer.state == "paid" else 5)


# ----------------------------------------------------------------------------- faults


def _targets(c: httpx.Client, total: int, ids: list[str]) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = [
        (INVOICES, {"PageNumber": n, "PageSize": 25}) for n in range(1, total // 25 + 2)
    ]
    out += [(ONE, {"InvoiceId": i}) for i in ids]
    out += [("/api/v1/Products", {}), ("/api/v1/Counterparties", {"PageSize": 100})]
    out += [(INVOICES, {"InvoiceStatus": s}) for s in range(1, 8)]
    return out


def test_flaky_profile_retries_to_identical_bytes(make_sandbox: Callable[..., Sandbox]) -> None:
    clean, flaky = make_sandbox(seed=5), make_sandbox(seed=5, faults="flaky")
    ids = [d.id for d in live(clean)][::10]
    failures = 0
    with katsu(clean) as a, katsu(flaky) as b:
        for path, params in _targets(a, len(live(clean)), ids):
            want = a.get(path, params=params)
            assert want.status_code == 200
            for _ in range(4):
                try:
                    got = b.get(path, params=params)
                except httpx.TransportError:
                    failures += 1
                    continue
                if got.status_code == 200:
                    break
                failures += 1
                assert got.status_code in (429, 500, 502, 503)
                assert_error(got, got.status_code)
            assert got.status_code == 200 and got.content == want.content, (path, params)
    assert failures > 0 and sum(flaky.faults.injected.values()) >= failures


def test_hostile_records_and_duplicates(make_sandbox: Callable[..., Sandbox]) -> None:
    seed = 3  # a seed whose Katsu books hold every record fault at scale 300
    sb = make_sandbox(seed=seed, faults="hostile")
    docs = live(sb)
    fault = {d.id: record_fault(seed, "katsu", d.id) for d in docs}
    by_kind = {
        k: {d.number for d in docs if fault[d.id] == k}
        for k in ("bad_amount", "missing_id", "unknown_enum", "duplicate")
    }
    assert all(by_kind.values()), by_kind
    size = 20
    seen: list[tuple[int, dict[str, Any]]] = []
    with katsu(sb) as c:
        n = 1
        while True:
            for _ in range(4):  # the fourth attempt at any request is never faulted
                try:
                    r = c.get(INVOICES, params={"PageNumber": n, "PageSize": size})
                except httpx.TransportError:
                    continue
            body = parse(r)
            seen.extend((n, rec) for rec in body["data"])
            if n * size >= body["total"]:
                break
            n += 1
        assert body["total"] == len(docs) + len(by_kind["duplicate"])
        one = [rid for rid, k in fault.items() if k == "bad_amount"][0]
        for _ in range(4):
            try:
                r = c.get(ONE, params={"InvoiceId": one})
            except httpx.TransportError:
                continue
        assert parse(r)["data"]["amount"] == "abc"
    assert sum(sb.faults.injected.values()) > 0
    recs = [rec for _, rec in seen]
    assert {r["invoiceId"] for r in recs if r.get("amount") == "abc"} == by_kind["bad_amount"]
    assert {r["invoiceId"] for r in recs if "id" not in r} == by_kind["missing_id"]
    assert {r["invoiceId"] for r in recs if r["invoiceStatus"] == 99} == by_kind["unknown_enum"]
    counts = Counter(r["invoiceId"] for r in recs)
    assert {k for k, v in counts.items() if v == 2} == by_kind["duplicate"]
    assert set(counts.values()) == {1, 2} and set(counts) == {d.number for d in docs}
    for number in by_kind["duplicate"]:
        where = [p for p, r in seen if r["invoiceId"] == number]
        assert len(set(where)) == 2  # the copy is on another page
    clean = [r for r in recs if fault.get(r.get("id", "")) is None and "id" in r]
    assert all(
        isinstance(r["amount"], int | Decimal) and r["invoiceStatus"] in range(1, 8) for r in clean
    )


def test_same_seed_and_scale_give_identical_bytes(
    sandbox: Sandbox, make_sandbox: Callable[..., Sandbox]
) -> None:
    twin = make_sandbox(seed=sandbox.seed, scale=sandbox.scale)
    other = make_sandbox(seed=sandbox.seed + 1, scale=sandbox.scale)
    ids = [d.id for d in live(sandbox)][::25]
    with katsu(sandbox) as a, katsu(twin) as b, katsu(other) as o:
        targets = _targets(a, len(live(sandbox)), ids)
        for path, params in targets:
            assert a.get(path, params=params).content == b.get(path, params=params).content
        assert a.get(INVOICES).content != o.get(INVOICES).content
