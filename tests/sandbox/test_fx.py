"""The oracle's ECB rates: known values, fallbacks, missing currencies and exact rounding."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from sandbox.fx import Fx


@pytest.fixture(scope="module")
def fx() -> Fx:
    return Fx.load()


def tiny(*rows: str, header: str = "Date,AAA,BBB,") -> Fx:
    return Fx("\n".join([header, *rows]) + "\n")


def test_known_ecb_values_are_exact_text(fx: Fx) -> None:
    d = date(2026, 10, 30)
    assert fx.rate("USD", d) == Decimal("1.1172")
    assert str(fx.rate("GBP", d)) == "0.8338"
    assert fx.rate("JPY", d) == Decimal("175.68")
    assert fx.rate("USD", date(1999, 1, 4)) == Decimal("1.1789")
    assert fx.rate("GBP", date(2024, 1, 2)) == Decimal("0.86645")
    assert all(isinstance(fx.rate(c, d), Decimal) for c in ("USD", "GBP", "CHF"))


def test_eur_is_one_and_same_currency_factor_is_one(fx: Fx) -> None:
    assert fx.rate("EUR", date(1990, 1, 1)) == 1
    assert fx.factor("EUR", "EUR", date(2026, 1, 1)) == Decimal("1.0000000000")
    assert fx.factor("NGN", "NGN", date(2026, 1, 1)) == 1
    assert fx.convert(Decimal("12.345"), "EUR", "EUR", date(2026, 1, 1)) == Decimal("12.35")


def test_weekend_and_holiday_fall_back_to_last_ecb_day(fx: Fx) -> None:
    sunday = date(2026, 11, 1)
    assert fx.ecb_day(sunday) == date(2026, 10, 30)
    assert fx.rate("USD", sunday) == fx.rate("USD", date(2026, 10, 30))
    assert fx.ecb_day(date(2024, 12, 25)) == date(2024, 12, 24)
    # past the end of the file: the last published day
    assert fx.rate("GBP", date(2027, 6, 1)) == Decimal("0.8338")


def test_missing_currencies_and_days_have_no_rate(fx: Fx) -> None:
    d = date(2026, 6, 15)
    for ccy in ("NGN", "KES", "XXX"):
        assert fx.rate(ccy, d) is None
        assert fx.factor(ccy, "EUR", d) is None
        assert fx.factor("EUR", ccy, d) is None
        assert fx.convert(Decimal("100"), ccy, "EUR", d) is None
    assert fx.rate("USD", date(1998, 12, 31)) is None  # before the first ECB day
    assert fx.rate("BGN", date(2026, 1, 5)) is None  # N/A after the euro changeover
    assert fx.rate("ISK", date(2010, 6, 1)) is None  # N/A gap: no earlier value borrowed
    assert {"EUR", "USD", "GBP"} <= fx.currencies
    assert "NGN" not in fx.currencies


def test_factor_is_exact_and_rounded_half_up_to_ten_places(fx: Fx) -> None:
    d = date(2026, 10, 30)
    assert fx.factor("GBP", "EUR", d) == Decimal("1.1993283761")  # 1 / 0.8338
    assert fx.factor("USD", "EUR", d) == Decimal("0.8950948801")
    assert fx.factor("GBP", "USD", d) == Decimal("1.3398896618")  # 1.1172 / 0.8338
    assert fx.factor("EUR", "USD", d) == Decimal("1.1172000000")
    f = fx.factor("GBP", "EUR", d)
    assert f is not None and f.as_tuple().exponent == -10
    assert fx.convert(Decimal("120.00"), "GBP", "EUR", d) == Decimal("143.92")


def test_half_up_not_half_even() -> None:
    fx = tiny("2020-01-02,1.00000000005,0.5,", "2020-01-03,3,8,")
    d = date(2020, 1, 2)
    # 1.00000000005 exactly: half even would give 1.0000000000
    assert fx.factor("EUR", "AAA", d) == Decimal("1.0000000001")
    assert fx.convert(Decimal("0.01"), "EUR", "BBB", d) == Decimal("0.01")  # 0.005 -> 0.01
    assert fx.convert(Decimal("-0.01"), "EUR", "BBB", d) == Decimal("-0.01")  # away from zero
    d3 = date(2020, 1, 3)
    assert fx.factor("AAA", "EUR", d3) == Decimal("0.3333333333")
    assert fx.factor("BBB", "EUR", d3) == Decimal("0.1250000000")
    assert fx.factor("BBB", "AAA", d3) == Decimal("0.3750000000")
    assert fx.factor("AAA", "BBB", d3) == Decimal("2.6666666667")


def test_na_cells_and_unsorted_rows() -> None:
    fx = tiny("2020-01-03,N/A,2,", "2020-01-01,4,N/A,")
    assert fx.days == [date(2020, 1, 1), date(2020, 1, 3)]
    assert fx.rate("AAA", date(2020, 1, 2)) == Decimal(4)
    assert fx.rate("AAA", date(2020, 1, 3)) is None
    assert fx.rate("BBB", date(2020, 1, 2)) is None
    assert fx.rate("BBB", date(2020, 1, 5)) == Decimal(2)


def test_large_amounts_keep_every_digit(fx: Fx) -> None:
    d = date(2026, 10, 30)
    amount = Decimal("123456789012.34")
    f = fx.factor("GBP", "EUR", d)
    assert f is not None
    # 12345678901234 cents * 11993283761e-10 = 14806523028469.0055... cents
    assert 12345678901234 * 11993283761 // 10**10 == 14806523028469
    assert fx.convert(amount, "GBP", "EUR", d) == Decimal("148065230284.69")


def test_loaded_once() -> None:
    assert Fx.load() is Fx.load()
