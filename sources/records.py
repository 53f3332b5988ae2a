"""Typed tables from wire records, with every bad record set aside with its reason.

Each vendor declares its tables as :class:`Table` specs (warehouse column, wire key, kind).
:meth:`Table.convert` turns one page of decoded JSON records into an Arrow table with exact
types (money as ``decimal128(18, 2)``, timezone-aware timestamps, dates) and a list of
:class:`Rejected` records; a bad record never fails the page and is never dropped silently.
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
    a second spelling of the same field (a renamed key), read when ``key`` gives null.
    """

    name: str
    key: str | tuple[str, ...]
    kind: str = "str"
    required: bool = False
    alt: str | tuple[str, ...] | None = None

    def get(self, record: dict[str, Any]) -> Any:
        value = self._lookup(record, self.key, self.required and self.alt is None)
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
    # Add a ``row_hash`` of the business columns (scd2 row versions).
    row_hash: bool = False

    def __post_init__(self) -> None:
        fields = [pa.field(c.name, KINDS[c.kind][1], nullable=not c.required) for c in self.cols]
        # extra columns are keys the source itself fills in: never null
        fields += [pa.field(n, t, nullable=False) for n, t in self.extra.items()]
        if self.row_hash:
            fields.append(pa.field("row_hash", pa.string(), nullable=False))
        self.schema = pa.schema(fields)

    def hints(self) -> dict[str, dict[str, Any]]:
        """dlt column hints so empty loads and schema evolution keep exact types."""
        out = {c.name: dict(KINDS[c.kind][2], nullable=not c.required) for c in self.cols}
        if self.row_hash:
            out["row_hash"] = {"data_type": "text"}
        return out

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
        """
        cols = self.cols
        convs = [KINDS[c.kind][0] for c in cols]
        columns: list[list[Any]] = [[] for _ in cols]
        extras: dict[str, list[Any]] = {n: [] for n in self.extra}
        hashes: list[str] = []
        rejected: list[Rejected] = []
        kept: list[dict[str, Any]] = []
        for rec in records:
            if not isinstance(rec, dict):
                rejected.append(Rejected(endpoint, None, "record is not a JSON object", to_json(rec)))
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
                rejected.append(Rejected(endpoint, rid if isinstance(rid, str) else None, str(exc), to_json(rec)))
                continue
            kept.append(rec)
            for i, v in enumerate(row):
                columns[i].append(v)
            for n in extras:
                extras[n].append(added.get(n))
            if self.row_hash:
                hashes.append(hashlib.blake2b(repr(row).encode(), digest_size=12).hexdigest())
        arrays = [pa.array(columns[i], type=self.schema.field(i).type) for i in range(len(cols))]
        arrays += [pa.array(extras[n], type=t) for n, t in self.extra.items()]
        if self.row_hash:
            arrays.append(pa.array(hashes, type=pa.string()))
        return pa.Table.from_arrays(arrays, schema=self.schema), rejected, kept


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


def rejected_table(vendor: str, rows: list[Rejected], at: datetime) -> pa.Table:
    """The rejected-records rows of one page (merged on the payload's hash: idempotent)."""
    stamp = at.isoformat()
    recs = [
        {
            "endpoint": r.endpoint,
            "record_id": r.record_id,
            "reason": r.reason,
            "payload": r.payload,
            "payload_hash": hashlib.blake2b(f"{r.endpoint}\n{r.payload}".encode(), digest_size=16).hexdigest(),
            "vendor": vendor,
            "rejected_at": stamp,
        }
        for r in rows
    ]
    table, bad, _ = REJECTED_TABLE.convert(recs, "rejected_records")
    assert not bad
    return table
