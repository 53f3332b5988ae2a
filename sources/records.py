"""Typed tables from wire records, with every bad record set aside with its reason.

Each vendor declares its tables as :class:`Table` specs (warehouse column, wire key, kind).
:meth:`Table.convert` turns one page of decoded JSON records into an Arrow table with exact
types (money as ``decimal128(18, 2)``, timezone-aware timestamps, dates) and a list of
:class:`Rejected` records; a bad record never fails the page and is never dropped silently.

The specs are also the wire contract: :meth:`Table.drift` compares records with it and reports
each :class:`SchemaChange` (a field added, a field missing, a value of another JSON type). A
record missing an amount, or a field that says whether or when it was paid (``critical``), is
rejected rather than loaded with a null that the models would read as zero or unpaid.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from sources.rescan import raw_hash

MONEY = pa.decimal128(18, 2)
RATE = pa.decimal128(18, 4)
TIMESTAMP = pa.timestamp("us", tz="UTC")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_encode = msgspec.json.Encoder(decimal_format="number").encode
MAX_MONEY = Decimal("1e15")


class Invalid(ValueError):
    """A value that cannot be what its column says."""


# ----------------------------------------------------------------------------- converters


def _decimal(value: Any, places: int) -> Decimal:
    if isinstance(value, bool):
        raise Invalid(f"boolean {value!r} where a number belongs")
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        d = Decimal(value.strip())
    else:
        raise Invalid(f"{value!r} is not a number")
    if not d.is_finite() or abs(d) >= MAX_MONEY:
        raise Invalid(f"{value!r} is out of range")
    exp = d.as_tuple().exponent
    if isinstance(exp, int) and -exp > places and d != d.quantize(Decimal(1).scaleb(-places)):
        raise Invalid(f"{value!r} has more than {places} decimal places")
    return d.quantize(Decimal(1).scaleb(-places))


def to_money(value: Any) -> Decimal:
    return _decimal(value, 2)


def to_rate(value: Any) -> Decimal:
    return _decimal(value, 4)


def to_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"{value!r} is not an integer")
    return value


def to_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"{value!r} is not a boolean")
    return value


def to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise Invalid(f"{value!r} is not a string")


def to_timestamp(value: Any) -> datetime:
    if not isinstance(value, str):
        raise Invalid(f"{value!r} is not a timestamp")
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{value!r} is not an ISO 8601 timestamp") from None
    if dt.tzinfo is None:  # vendors send UTC; a naive value is read as UTC
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def to_date(value: Any) -> date:
    if not isinstance(value, str) or not _DATE.match(value):
        raise Invalid(f"{value!r} is not a date")
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        return to_timestamp(value).date()
    except ValueError:
        raise Invalid(f"{value!r} is not a valid date") from None


def to_json(value: Any) -> str:
    return _encode(value).decode()


def record_hash(record: dict[str, Any]) -> str:
    """The version of a record as sent: any change of any field makes a new one (scd2)."""
    return raw_hash(_encode(record))


KINDS: dict[str, tuple[Callable[[Any], Any], pa.DataType, dict[str, Any]]] = {
    "str": (to_str, pa.string(), {"data_type": "text"}),
    "int": (to_int, pa.int64(), {"data_type": "bigint"}),
    "bool": (to_bool, pa.bool_(), {"data_type": "bool"}),
    "money": (to_money, MONEY, {"data_type": "decimal", "precision": 18, "scale": 2}),
    "rate": (to_rate, RATE, {"data_type": "decimal", "precision": 18, "scale": 4}),
    "date": (to_date, pa.date32(), {"data_type": "date"}),
    "timestamp": (to_timestamp, TIMESTAMP, {"data_type": "timestamp", "timezone": True}),
    "json": (to_json, pa.string(), {"data_type": "json"}),
}


def wire_value(key: str, kind: str) -> Callable[[Any], Any]:
    """A reader of one wire field as its kind; None when absent or unreadable (watermarks)."""
    conv = KINDS[kind][0]

    def read(record: Any) -> Any:
        value = record.get(key) if isinstance(record, dict) else None
        if value is None:
            return None
        try:
            return conv(value)
        except (Invalid, InvalidOperation):
            return None

    return read


# ----------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Col:
    """One warehouse column: its name, where it is on the wire, and what it must be.

    ``key`` is a wire key or a path of keys into nested objects (a missing object on the
    path gives null). A ``required`` column rejects the record when absent or null. ``alt`` is
    a second spelling of the same field (a renamed key), read when ``key`` gives null. A
    ``critical`` column (and every money column) rejects the record when its key is absent from
    it: the vendor stopped sending a field the models count with, and a null would be read as
    zero or unpaid. A key sent with a null value is a null, as before.
    """

    name: str
    key: str | tuple[str, ...]
    kind: str = "str"
    required: bool = False
    alt: str | tuple[str, ...] | None = None
    critical: bool = False

    @property
    def must_be_sent(self) -> bool:
        """Whether a record without this field's key is rejected."""
        return self.required or self.critical or self.kind == "money"

    def get(self, record: dict[str, Any]) -> Any:
        absent = isinstance(self.key, str) and self.key not in record
        if (
            absent
            and self.must_be_sent
            and (self.alt is None or (isinstance(self.alt, str) and self.alt not in record))
        ):
            if self.required:
                raise Invalid(f"missing required field {self.key!r}")
            raise Invalid(
                f"missing field {self.key!r} (the vendor stopped sending it; never read as zero)"
            )
        value = self._lookup(record, self.key, False)
        if value is None and self.alt is not None:
            value = self._lookup(record, self.alt, False)
        return value

    @staticmethod
    def _lookup(record: dict[str, Any], key: str | tuple[str, ...], required: bool) -> Any:
        if isinstance(key, str):
            if required and key not in record:
                raise Invalid(f"missing required field {key!r}")
            return record.get(key)
        value: Any = record
        for k in key:
            if not isinstance(value, dict):
                return None
            value = value.get(k)
        return value


# ----------------------------------------------------------------------------- wire contract

# The JSON type of a decoded value (msgspec decodes every non-integer number as a Decimal).
_JSON_TYPES: dict[type, str] = {
    str: "string",
    int: "number",
    Decimal: "number",
    float: "number",
    bool: "boolean",
    dict: "object",
    list: "array",
    type(None): "null",
}
# The JSON types each column kind may be sent as, as its converter reads them (None: any).
WIRE_TYPES: dict[str, frozenset[str] | None] = {
    "str": frozenset({"string", "number"}),  # an integer id is read as its digits
    "int": frozenset({"number"}),
    "bool": frozenset({"boolean"}),
    "money": frozenset({"number"}),
    "rate": frozenset({"number"}),
    "date": frozenset({"string"}),
    "timestamp": frozenset({"string"}),
    "json": None,
}
_EXAMPLE_CHARS = 200
# A difference is a change of the vendor's schema, not a malformed record (those are rejected
# one by one), when at least this many records of a page, and at least half of them, show it.
DRIFT_MIN_RECORDS = 3
DRIFT_MIN_SHARE = 0.5
# JSON types are checked on this many records of a page, evenly spaced (a vendor's new schema
# shows on every record; keys are compared on every record, which costs next to nothing).
DRIFT_TYPE_SAMPLE = 8


def json_type(value: Any) -> str:
    """``"string"``, ``"number"``, ``"boolean"``, ``"object"``, ``"array"`` or ``"null"``."""
    return _JSON_TYPES.get(type(value)) or (
        "number" if isinstance(value, int | Decimal) else type(value).__name__
    )


@dataclass(frozen=True)
class SchemaChange:
    """A difference between the records a vendor sends and the contract (the table spec).

    ``change``: ``added`` (a field the contract does not know), ``missing`` (a field it maps
    that the record lacks) or ``type_changed`` (a value of another JSON type). ``column`` is
    the warehouse column fed by the field (None for an added field); ``effect`` says what the
    sync did about it, ``severity`` is ``error`` when records were rejected.
    """

    endpoint: str
    field: str
    change: str
    expected: str | None
    seen: str
    column: str | None
    effect: str
    severity: str
    example_record_id: str | None
    example_value: str | None


@dataclass(frozen=True)
class Rejected:
    """A record that could not be loaded, kept whole with the reason."""

    endpoint: str
    record_id: str | None
    reason: str
    payload: str


@dataclass
class Table:
    """A warehouse table fed from one wire shape."""

    name: str
    cols: Sequence[Col]
    # Columns added by the source after conversion (for example a parent key).
    extra: dict[str, pa.DataType] = field(default_factory=dict)
    # Add a ``row_hash`` of the record as sent, and keep history (scd2 row versions).
    row_hash: bool = False
    # Add a ``row_hash`` without history (a merge table): a record read again unchanged is
    # then skipped, as for history tables (see ``SyncContext.fingerprints``).
    hashed: bool = False
    # Wire keys the source reads besides the columns (nested lists for child tables, fields
    # read by ``extra``): part of the contract, so not reported as added.
    known: frozenset[str] = frozenset()
    # Wire keys the contract lists that a vendor may leave out: not reported as missing.
    optional: frozenset[str] = frozenset()
    # The vendor sends amounts and rates as JSON strings ("12.50"), as Hoursmith does.
    numbers_as_text: bool = False

    def __post_init__(self) -> None:
        fields = [pa.field(c.name, KINDS[c.kind][1], nullable=not c.required) for c in self.cols]
        # extra columns are keys the source itself fills in: never null
        fields += [pa.field(n, t, nullable=False) for n, t in self.extra.items()]
        if self.stores_hash:
            fields.append(pa.field("row_hash", pa.string(), nullable=False))
        self.schema = pa.schema(fields)
        # the wire contract: expected JSON type per top-level key, and keys every record has
        self._wire: dict[str, tuple[frozenset[str] | None, Col]] = {}
        self._sent: list[tuple[str, str | None, Col]] = []
        for c in self.cols:
            for key in (c.key, c.alt):
                if key is None:
                    continue
                top = key if isinstance(key, str) else key[0]
                expected = WIRE_TYPES[c.kind] if isinstance(key, str) else frozenset({"object"})
                if self.numbers_as_text and c.kind in ("money", "rate"):
                    expected = frozenset({"string"})
                if top in self._wire:  # a key read two ways (an id, or the object holding it)
                    before, first = self._wire[top]
                    expected = None if before is None or expected is None else before | expected
                    c = first
                self._wire[top] = (expected, c)
            if isinstance(c.key, str) and c.key not in self.optional:
                alt = c.alt if isinstance(c.alt, str) else None
                self._sent.append((c.key, alt, c))
        self._allowed = set(self._wire) | set(self.known)

    def hints(self) -> dict[str, dict[str, Any]]:
        """dlt column hints so empty loads and schema evolution keep exact types."""
        out = {c.name: dict(KINDS[c.kind][2], nullable=not c.required) for c in self.cols}
        if self.stores_hash:
            out["row_hash"] = {"data_type": "text"}
        return out

    @property
    def stores_hash(self) -> bool:
        """Whether rows carry the ``row_hash`` of the record as sent."""
        return self.row_hash or self.hashed

    def drift(
        self, records: Iterable[Any], endpoint: str, id_key: str = "id"
    ) -> list[SchemaChange]:
        """How the records of one page differ from the contract: one :class:`SchemaChange` per
        field and kind of difference shown by at least ``DRIFT_MIN_RECORDS`` records and at least
        ``DRIFT_MIN_SHARE`` of the page (the first record showing it is the example). Rarer
        differences are malformed records, rejected or loaded one by one, not a new schema."""
        found: dict[tuple[str, str, str], SchemaChange] = {}
        counts: dict[tuple[str, str, str], int] = {}
        conforming: Any = None  # the last key set found complete and without extra keys
        records = [r for r in records if isinstance(r, dict)]
        n = len(records)
        step = max(1, n // DRIFT_TYPE_SAMPLE)
        sampled = len(range(0, n, step))
        for i, rec in enumerate(records):
            rid = rec.get(id_key)
            rid = rid if isinstance(rid, str) else None
            if conforming is None or rec.keys() != conforming:
                clean = True
                for key in rec.keys() - self._allowed:
                    clean = False
                    self._note(
                        found,
                        endpoint,
                        key,
                        "added",
                        None,
                        json_type(rec[key]),
                        None,
                        rid,
                        rec[key],
                        counts,
                    )
                for key, alt, col in self._sent:
                    if key not in rec and (alt is None or alt not in rec):
                        clean = False
                        self._note(
                            found,
                            endpoint,
                            key,
                            "missing",
                            self._wire[key][0],
                            "absent",
                            col,
                            rid,
                            None,
                            counts,
                        )
                if clean:
                    conforming = rec.keys()
            if i % step:
                continue
            for key, value in rec.items():
                if value is None:
                    continue
                spec = self._wire.get(key)
                if spec is None or spec[0] is None:
                    continue
                seen = _JSON_TYPES.get(type(value)) or json_type(value)
                if seen not in spec[0]:
                    self._note(
                        found,
                        endpoint,
                        key,
                        "type_changed",
                        spec[0],
                        seen,
                        spec[1],
                        rid,
                        value,
                        counts,
                    )

        def least(change: str) -> float:
            return max(
                DRIFT_MIN_RECORDS, DRIFT_MIN_SHARE * (sampled if change == "type_changed" else n)
            )

        return [c for k, c in found.items() if counts[k] >= least(k[1])]

    @staticmethod
    def _note(
        found: dict[tuple[str, str, str], SchemaChange],
        endpoint: str,
        key: str,
        change: str,
        expected: frozenset[str] | None,
        seen: str,
        col: Col | None,
        rid: str | None,
        value: Any,
        counts: dict[tuple[str, str, str], int],
    ) -> None:
        counts[(key, change, seen)] = counts.get((key, change, seen), 0) + 1
        if (key, change, seen) in found:
            return
        if change == "added":
            effect, severity = (
                "not loaded: the field is not in the contract (sources/<vendor>/helpers.py)",
                "warning",
            )
        elif change == "missing" and col is not None and col.must_be_sent:
            effect, severity = (
                "records rejected: an amount or payment field that is not sent is never read as zero",
                "error",
            )
        elif change == "missing":
            effect, severity = "loaded as null", "warning"
        elif col is not None and col.kind in ("money", "rate") and seen == "string":
            effect, severity = (
                "still read exactly when the text is a decimal number; other records rejected",
                "warning",
            )
        else:
            effect, severity = (
                "records whose value cannot be read as the column's type are rejected",
                "error",
            )
        example = None if value is None else to_json(value)[:_EXAMPLE_CHARS]
        wanted = None if expected is None else " or ".join(sorted(expected))
        found[(key, change, seen)] = SchemaChange(
            endpoint,
            key,
            change,
            wanted,
            seen,
            col.name if col else None,
            effect,
            severity,
            rid,
            example,
        )

    def convert(
        self,
        records: Iterable[Any],
        endpoint: str,
        id_key: str = "id",
        extra: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> tuple[pa.Table, list[Rejected], list[dict[str, Any]]]:
        """Convert decoded records.

        Returns the table, the :class:`Rejected` records, and the records that were kept
        (to derive child tables from good records only).

        A page is first converted column by column in Arrow (fast); a page with anything the
        columnar path cannot vouch for (a malformed value, a missing key) is converted record by
        record instead, which rejects exactly the bad records with their reasons.
        """
        if not isinstance(records, list):
            records = list(records)
        try:
            return self._convert_columns(records, extra)
        except _Slow:
            return self._convert_records(records, endpoint, id_key, extra)

    def _convert_columns(
        self, records: list[Any], extra: Callable[[dict[str, Any]], dict[str, Any]] | None
    ) -> tuple[pa.Table, list[Rejected], list[dict[str, Any]]]:
        if any(type(r) is not dict for r in records):
            raise _Slow
        arrays = [
            _fast_array(c, _column_values(c, records), self.schema.field(i).type)
            for i, c in enumerate(self.cols)
        ]
        if self.extra:
            try:
                added = [extra(r) if extra else {} for r in records]
            except (Invalid, InvalidOperation, KeyError, TypeError):
                raise _Slow from None
            arrays += [pa.array([a.get(n) for a in added], type=t) for n, t in self.extra.items()]
        if self.stores_hash:
            arrays.append(pa.array([record_hash(r) for r in records], type=pa.string()))
        return pa.Table.from_arrays(arrays, schema=self.schema), [], records

    def _convert_records(
        self,
        records: list[Any],
        endpoint: str,
        id_key: str,
        extra: Callable[[dict[str, Any]], dict[str, Any]] | None,
    ) -> tuple[pa.Table, list[Rejected], list[dict[str, Any]]]:
        cols = self.cols
        convs = [KINDS[c.kind][0] for c in cols]
        columns: list[list[Any]] = [[] for _ in cols]
        extras: dict[str, list[Any]] = {n: [] for n in self.extra}
        hashes: list[str] = []
        rejected: list[Rejected] = []
        kept: list[dict[str, Any]] = []
        for rec in records:
            if not isinstance(rec, dict):
                rejected.append(
                    Rejected(endpoint, None, "record is not a JSON object", to_json(rec))
                )
                continue
            row: list[Any] = []
            try:
                for col, conv in zip(cols, convs, strict=True):
                    value = col.get(rec)
                    if value is None:
                        if col.required:
                            raise Invalid(f"required field {col.key!r} is null")
                        row.append(None)
                        continue
                    try:
                        row.append(conv(value))
                    except Invalid as exc:
                        raise Invalid(f"field {col.key!r}: {exc}") from None
                added = extra(rec) if extra else {}
            except (Invalid, InvalidOperation, KeyError, TypeError) as exc:
                rid = rec.get(id_key)
                rejected.append(
                    Rejected(
                        endpoint, rid if isinstance(rid, str) else None, str(exc), to_json(rec)
                    )
                )
                continue
            kept.append(rec)
            for i, v in enumerate(row):
                columns[i].append(v)
            for n in extras:
                extras[n].append(added.get(n))
            if self.stores_hash:
                hashes.append(record_hash(rec))
        arrays = [pa.array(columns[i], type=self.schema.field(i).type) for i in range(len(cols))]
        arrays += [pa.array(extras[n], type=t) for n, t in self.extra.items()]
        if self.stores_hash:
            arrays.append(pa.array(hashes, type=pa.string()))
        return pa.Table.from_arrays(arrays, schema=self.schema), rejected, kept


# ----------------------------------------------------------------------------- fast path

_NUMBER_RE = r"^-?\d+(\.\d+)?$"
_MONEY_LIMIT = {"money": Decimal("1e15"), "rate": Decimal("1e15")}


class _Slow(Exception):
    """The page needs the record-by-record path (a value the vectorized path cannot vouch for)."""


def _column_values(col: Col, records: list[dict[str, Any]]) -> list[Any]:
    key = col.key
    if isinstance(key, str):
        if col.must_be_sent:
            for r in records:
                if key not in r and (
                    col.alt is None or (isinstance(col.alt, str) and col.alt not in r)
                ):
                    raise _Slow
        values = [r.get(key) for r in records]
    else:
        values = [col._lookup(r, key, False) for r in records]
    if col.alt is not None and None in values:
        values = [
            v if v is not None else col._lookup(r, col.alt, False)
            for v, r in zip(values, records, strict=True)
        ]
    return values


def _fast_array(col: Col, values: list[Any], typ: pa.DataType) -> pa.Array:
    kind = col.kind
    try:
        if kind == "str":
            if any(type(v) is not str for v in values if v is not None):
                # an integer is read as its text (as to_str does); anything else needs the slow path
                if any(type(v) is not int for v in values if v is not None):
                    raise _Slow
                values = [None if v is None else str(v) for v in values]
            arr = pa.array(values, pa.string())
        elif kind == "int":
            if any(v is not None and type(v) is not int for v in values):
                raise _Slow
            arr = pa.array(values, pa.int64())
        elif kind == "bool":
            arr = pa.array(values, pa.bool_())
        elif kind in ("money", "rate"):
            if any(type(v) is str for v in values):
                strs = pa.array(values, pa.string())
                ok = pc.match_substring_regex(pc.utf8_trim_whitespace(strs), _NUMBER_RE)
                if not pc.all(pc.or_kleene(ok, pc.is_null(strs))).as_py():
                    raise _Slow
                arr = pc.utf8_trim_whitespace(strs).cast(typ)
            else:
                if any(type(v) is bool for v in values):
                    raise _Slow
                arr = pa.array(values, typ)
            if arr.null_count < len(arr):
                biggest = pc.max(pc.abs(arr)).as_py()
                if biggest is not None and biggest >= _MONEY_LIMIT[kind]:
                    raise _Slow
        elif kind == "timestamp":
            arr = pa.array(values, pa.string()).cast(typ)
        elif kind == "date":
            strs = pa.array(values, pa.string())
            lengths = pc.utf8_length(strs)
            if pc.all(pc.or_kleene(pc.equal(lengths, 10), pc.is_null(strs))).as_py():
                arr = strs.cast(pa.date32())
            else:
                arr = strs.cast(TIMESTAMP).cast(pa.date32())
        else:  # json
            arr = pa.array([None if v is None else to_json(v) for v in values], pa.string())
    except (
        pa.ArrowInvalid,
        pa.ArrowTypeError,
        pa.ArrowNotImplementedError,
        TypeError,
        ValueError,
        OverflowError,
    ):
        raise _Slow from None
    if col.required and arr.null_count:
        raise _Slow
    return arr


REJECTED_TABLE = Table(
    "rejected_records",
    [
        Col("endpoint", "endpoint", required=True),
        Col("record_id", "record_id"),
        Col("reason", "reason", required=True),
        Col("payload", "payload", required=True),
        Col("payload_hash", "payload_hash", required=True),
        Col("vendor", "vendor", required=True),
        Col("rejected_at", "rejected_at", "timestamp", required=True),
    ],
)


SCHEMA_CHANGES_TABLE = Table(
    "schema_changes",
    [
        Col("change_key", "change_key", required=True),
        Col("vendor", "vendor", required=True),
        Col("endpoint", "endpoint", required=True),
        Col("field", "field", required=True),
        Col("change", "change", required=True),
        Col("expected", "expected"),
        Col("seen", "seen", required=True),
        Col("column_name", "column_name"),
        Col("effect", "effect", required=True),
        Col("severity", "severity", required=True),
        Col("example_record_id", "example_record_id"),
        Col("example_value", "example_value"),
        Col("first_seen_at", "first_seen_at", "timestamp", required=True),
        Col("last_seen_at", "last_seen_at", "timestamp", required=True),
    ],
)


def change_key(vendor: str, change: SchemaChange) -> str:
    """The identity of a schema change: the same change seen again merges into its row."""
    text = "\n".join((vendor, change.endpoint, change.field, change.change, change.seen))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def schema_changes_table(
    vendor: str, changes: list[SchemaChange], known: dict[str, tuple[Any, ...]], at: datetime
) -> pa.Table:
    """The ``schema_changes`` rows of ``changes`` seen at ``at``.

    ``known``: the changes the warehouse already holds, by key: (first seen, example record id,
    example value). Those keep their first sighting and example, so a rerun changes nothing.
    """
    recs = []
    for c in changes:
        key = change_key(vendor, c)
        first, example_id, example = known.get(key, (at, c.example_record_id, c.example_value))
        recs.append(
            {
                "change_key": key,
                "vendor": vendor,
                "endpoint": c.endpoint,
                "field": c.field,
                "change": c.change,
                "expected": c.expected,
                "seen": c.seen,
                "column_name": c.column,
                "effect": c.effect,
                "severity": c.severity,
                "example_record_id": example_id,
                "example_value": example,
                "first_seen_at": first.isoformat(),
                "last_seen_at": at.isoformat(),
            }
        )
    table, bad, _ = SCHEMA_CHANGES_TABLE.convert(recs, "schema_changes")
    assert not bad
    return table


def rejected_table(vendor: str, rows: list[Rejected], at: datetime) -> pa.Table:
    """The rejected-records rows of one page (merged on the payload's hash: idempotent)."""
    stamp = at.isoformat()
    recs = [
        {
            "endpoint": r.endpoint,
            "record_id": r.record_id,
            "reason": r.reason,
            "payload": r.payload,
            "payload_hash": hashlib.blake2b(
                f"{r.endpoint}\n{r.payload}".encode(), digest_size=16
            ).hexdigest(),
            "vendor": vendor,
            "rejected_at": stamp,
        }
        for r in rows
    ]
    table, bad, _ = REJECTED_TABLE.convert(recs, "rejected_records")
    assert not bad
    return table
