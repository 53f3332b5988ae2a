"""Property-based tests of everything that reads the wire: converters, tables, responses, pages.

Hypothesis feeds the parsers what a vendor might send by mistake (amounts that are not numbers
or have too many places, impossible dates, unknown enum codes, missing and extra keys, wrong
JSON types, truncated bodies, HTML with a 200, empty and repeated pages, records repeated
across pages) and checks that nothing crashes, that every record is either converted exactly
or set aside with a reason and its whole payload, and that pagination yields every record once.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import msgspec
import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sources.http import (
    ApiClient,
    BadResponse,
    RetryPolicy,
    SourceError,
    TransientError,
    decode_json,
)
from sources.katsu.helpers import INVOICES as KATSU_INVOICES
from sources.records import (
    Invalid,
    Table,
    to_bool,
    to_date,
    to_int,
    to_money,
    to_rate,
    to_str,
    to_timestamp,
)
from sources.sync import PageSpec, SyncContext, cursor_pages, emit_page, numbered_pages

PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
json_values = st.recursive(  # any Python value a converter might be handed
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
# what decode_json can produce from a vendor's bytes: every non-integer number is a Decimal
wire_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**20), max_value=10**20),
        st.decimals(allow_nan=False, allow_infinity=False),
        st.text(max_size=30),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
decimal_text = st.decimals(
    min_value=Decimal("-1e14"), max_value=Decimal("1e14"), places=2, allow_nan=False
).map(str)


# ----------------------------------------------------------------------------- converters


@PROFILE
@given(json_values)
def test_converters_return_their_type_or_say_why_not(value: Any) -> None:
    for conv, kind in (
        (to_money, Decimal),
        (to_rate, Decimal),
        (to_int, int),
        (to_bool, bool),
        (to_str, str),
        (to_date, date),
        (to_timestamp, datetime),
    ):
        try:
            out = conv(value)
        except Invalid as exc:
            assert str(exc)  # a reason, for the rejected-records table
            continue
        assert isinstance(out, kind), (conv.__name__, value, out)
        if kind is Decimal:
            assert isinstance(out, Decimal)  # as checked above: narrows for the type checker
            assert out.is_finite() and abs(out) < Decimal("1e15")
            assert out.as_tuple().exponent == (-2 if conv is to_money else -4)
        if kind is datetime:
            assert isinstance(out, datetime)  # as checked above: narrows for the type checker
            assert out.tzinfo is not None and out.utcoffset() == UTC.utcoffset(out)


@PROFILE
@given(decimal_text)
def test_money_is_exact_from_text_and_from_json_numbers(text: str) -> None:
    assert to_money(text) == Decimal(text)
    decoded = decode_json(f'{{"amount": {text}}}'.encode())["amount"]
    assert to_money(decoded) == Decimal(text)  # JSON numbers decode as decimals, never floats


@PROFILE
@given(st.text(alphabet="0123456789-T:.Z+ ", min_size=0, max_size=30))
def test_malformed_dates_and_timestamps_are_invalid_never_an_error(text: str) -> None:
    for conv in (to_date, to_timestamp):
        with contextlib.suppress(Invalid):
            conv(text)


# ----------------------------------------------------------------------------- table conversion


def katsu_invoice(i: int) -> dict[str, Any]:
    """A valid Katsu invoice as decoded from the wire."""
    return {
        "id": f"00000000-0000-0000-0000-{i:012d}",
        "invoiceId": f"INV-{i}",
        "counterpartyId": "c1",
        "counterPartyName": "Acme",
        "accountName": "main",
        "dueDate": "2026-10-01T00:00:00.000Z",
        "currency": 4,
        "discountType": 1,
        "description": "consulting",
        "billingCycle": 1,
        "recuringInvoice": False,
        "paymentOption": 1,
        "userId": "u1",
        "amount": Decimal("1200.50"),
        "notifications": "email",
        "paidAmount": Decimal("0"),
        "created": "2026-09-01T10:00:00.000Z",
        "invoiceStatus": 2,
        "beforeDueDate": 3,
        "afterDueDate": 3,
        "onDueDate": True,
    }


KEYS = list(katsu_invoice(0))
mutation = st.one_of(
    st.tuples(st.just("drop"), st.sampled_from(KEYS), st.none()),
    st.tuples(st.just("set"), st.sampled_from(KEYS), wire_values),
    st.tuples(
        st.just("set"),
        st.sampled_from(["amount", "paidAmount"]),
        st.sampled_from(["abc", "1,20", "1e400", "12.345", "", "NaN"]),
    ),
    st.tuples(
        st.just("set"),
        st.sampled_from(["dueDate", "created"]),
        st.sampled_from(["2026-02-30", "yesterday", "2026-13-01T00:00:00Z", "", "2026"]),
    ),
    st.tuples(
        st.just("set"), st.just("invoiceStatus"), st.sampled_from([99, -1, "Paid", 2.5, None])
    ),
    st.tuples(st.just("add"), st.text(min_size=1, max_size=12), wire_values),
)


def mutate(record: dict[str, Any], changes: list[tuple[str, str, Any]]) -> dict[str, Any]:
    out = dict(record)
    for op, key, value in changes:
        if op == "drop":
            out.pop(key, None)
        else:
            out[key] = value
    return out


@PROFILE
@given(
    st.lists(st.lists(mutation, max_size=4), min_size=1, max_size=12),
    st.lists(wire_values, max_size=2),
)
def test_a_page_converts_to_good_rows_and_rejects_with_reasons(
    changes: list[Any], junk: list[Any]
) -> None:
    records: list[Any] = [mutate(katsu_invoice(i), c) for i, c in enumerate(changes)] + junk
    arrow, rejected, kept = KATSU_INVOICES.convert(records, "/api/v1/Invoice/getAll")
    # every record is either a row or a reject, none is lost or doubled
    assert arrow.num_rows == len(kept)
    assert arrow.num_rows + len(rejected) == len(records)
    for r in rejected:
        assert r.reason and r.endpoint == "/api/v1/Invoice/getAll"
        orjson.loads(r.payload)  # the whole record, kept as JSON
    ids = arrow.column("id").to_pylist()
    assert ids == [to_str(k["id"]) for k in kept]  # an integer id is read as its text
    # a kept record kept its money exactly, and an absent amount is never a zero
    for row, rec in zip(arrow.to_pylist(), kept, strict=True):
        assert row["amount"] == to_money(rec["amount"])
        assert "paidAmount" in rec
        assert row["paid_amount"] == (
            None if rec["paidAmount"] is None else to_money(rec["paidAmount"])
        )
    # and the changes reported against the contract never fail either
    KATSU_INVOICES.drift(records, "/api/v1/Invoice/getAll")


@PROFILE
@given(
    st.sampled_from(KEYS),
    st.sampled_from(["drop", "to_string", "add"]),
    st.integers(min_value=3, max_value=30),
)
def test_a_schema_change_across_a_page_is_reported(key: str, change: str, n: int) -> None:
    records = []
    for i in range(n):
        rec = katsu_invoice(i)
        if change == "drop":
            del rec[key]
        elif change == "to_string":
            assume(not isinstance(rec[key], str | bool))
            rec[key] = str(rec[key])
        else:
            rec["newField"] = i
        records.append(rec)
    found = {(c.field, c.change) for c in KATSU_INVOICES.drift(records, "/x")}
    want = {
        "drop": (key, "missing"),
        "to_string": (key, "type_changed"),
        "add": ("newField", "added"),
    }[change]
    assert want in found
    assert KATSU_INVOICES.drift([katsu_invoice(i) for i in range(n)], "/x") == []


# ----------------------------------------------------------------------------- responses


def client_for(handler: Callable[[httpx.Request], httpx.Response], attempts: int = 2) -> ApiClient:
    client = ApiClient(
        "katsu",
        "http://vendor.test",
        {"Authorization": "Bearer s3cr3t-token"},
        credential_hint="SOURCES__KATSU__TOKEN",
        policy=RetryPolicy(attempts=attempts, backoff=0.0, backoff_max=0.0),
        sleep=lambda s: None,
        transport=httpx.MockTransport(handler),
    )
    return client


bodies = st.one_of(
    st.binary(max_size=200),
    st.builds(lambda v: json.dumps({"data": v}, default=str).encode(), wire_values),
    st.builds(
        lambda v, cut: json.dumps({"data": v}, default=str).encode()[:cut],
        wire_values,
        st.integers(0, 40),
    ),
    st.just(b""),
    st.just(b"<html><body>Service temporarily unavailable</body></html>"),
)
content_types = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "text/html", "text/plain", ""]
)


@PROFILE
@given(bodies, content_types, st.sampled_from([200, 200, 200, 400, 401, 404, 429, 500, 502, 503]))
def test_a_response_is_decoded_or_refused_in_one_sentence(
    body: bytes, ctype: str, status: int
) -> None:
    headers = {"content-type": ctype} if ctype else {}
    client = client_for(lambda req: httpx.Response(status, content=body, headers=headers))
    try:
        page = client.get("/api/v1/Invoice/getAll")
    except SourceError as exc:
        message = str(exc)
        assert "\n" not in message and "s3cr3t-token" not in message
        if status == 200:  # a body that cannot be trusted is retried, then given up on
            assert isinstance(exc, TransientError)
        return
    assert status == 200 and page is not None and "json" in ctype
    assert page.body == decode_json(body)


@PROFILE
@given(bodies)
def test_decode_json_raises_nothing_but_decode_errors(body: bytes) -> None:
    try:
        decode_json(body)
    except Exception as exc:  # msgspec's DecodeError, which the client turns into BadResponse
        assert type(exc).__name__ == "DecodeError", type(exc)
    assert issubclass(BadResponse, Exception)


# ----------------------------------------------------------------------------- pagination

LIMIT = 5
WIRE = msgspec.json.Encoder(decimal_format="number")  # amounts as JSON numbers
# what a page request may get instead of its page: nothing, the page before, the right page
served = st.sampled_from(["empty", "repeat", "ok"])


def fake_api(
    records: list[dict[str, Any]], plan: dict[int, list[str]]
) -> Callable[[httpx.Request], httpx.Response]:
    """A page API over ``records``; the n-th request for page p gets ``plan[p][n]`` (then ok)."""
    asked: dict[int, int] = {}

    def handle(req: httpx.Request) -> httpx.Response:
        page = int(req.url.params["page"])
        k = asked.get(page, 0)
        asked[page] = k + 1
        how = plan.get(page, [])[k] if k < len(plan.get(page, [])) else "ok"
        start = (page - 1) * LIMIT
        if how == "empty":
            items: list[Any] = []
        elif how == "repeat" and page > 1:
            items = records[start - LIMIT : start]
        else:
            items = records[start : start + LIMIT]
        body = WIRE.encode({"data": items, "meta": {"total": len(records)}})
        return httpx.Response(
            200,
            content=body,
            headers={"content-type": "application/json", "date": "Mon, 02 Nov 2026 18:00:00 GMT"},
        )

    return handle


def context(handler: Callable[[httpx.Request], httpx.Response]) -> SyncContext:
    return SyncContext(
        "katsu", client_for(handler), datetime(2026, 11, 2, 18, tzinfo=UTC), full=True, workers=3
    )


SPEC = PageSpec(
    path="/list",
    params=lambda n: {"page": n},
    total=lambda body: int(body["meta"]["total"]),
    items=lambda body: body["data"],
    limit=LIMIT,
)


@PROFILE
@given(
    st.integers(min_value=0, max_value=23),
    st.dictionaries(st.integers(1, 5), st.lists(served, max_size=3), max_size=5),
    st.lists(st.integers(0, 22), max_size=4),
)
def test_pages_with_hiccups_yield_every_record_once(
    n: int, plan: dict[int, list[str]], repeats: list[int]
) -> None:
    records = [katsu_invoice(i) for i in range(n)]
    # records repeated further down the list, as a vendor whose list shifts while it is read
    for i in repeats:
        if i < n:
            records.insert(min(len(records), i + LIMIT + 1), records[i])
    ctx = context(fake_api(records, plan))
    seen: set[str] = set()
    rows: list[str] = []
    for items, _page in numbered_pages(ctx, SPEC):
        for item in emit_page(ctx, KATSU_INVOICES, items, endpoint="/list", seen=seen, dedupe=seen):
            if hasattr(item, "column_names") and "id" in item.column_names:
                rows += item.column("id").to_pylist()
    assert sorted(rows) == sorted({r["id"] for r in records})


@PROFILE
@given(st.integers(min_value=1, max_value=12), st.integers(min_value=0, max_value=4))
def test_a_cursor_that_repeats_stops_the_run_in_one_sentence(pages: int, loop_at: int) -> None:
    def handle(req: httpx.Request) -> httpx.Response:
        n = int(req.url.params.get("cursor") or 0)
        nxt = None if n + 1 >= pages else str(loop_at if n + 1 > loop_at + 1 else n + 1)
        body = WIRE.encode({"data": [katsu_invoice(n)], "pagination": {"nextCursor": nxt}})
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    ctx = context(handle)
    got: list[Any] = []
    try:
        for records in cursor_pages(
            ctx,
            "/list",
            {},
            items=lambda b: b["data"],
            next_cursor=lambda b: b["pagination"]["nextCursor"],
        ):
            got += records
            assert len(got) <= pages + 2, "a repeating cursor must not loop forever"
    except SourceError as exc:
        assert "same page cursor twice" in str(exc) and "\n" not in str(exc)
        return
    assert len(got) == pages


def test_the_checks_are_wired_to_real_sources() -> None:
    # the converters under test are the ones every source declares its tables with
    assert isinstance(KATSU_INVOICES, Table)
    with pytest.raises(Invalid):
        KATSU_INVOICES.cols[0].get({})
