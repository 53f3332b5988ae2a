"""Validation functions the warehouse's SQL calls (registered on the build's connection).

VAT ids are checked with python-stdnum and IBANs with schwifty: real check digits, not
patterns.
"""

from __future__ import annotations

import contextlib

import duckdb
from duckdb.func import FunctionNullHandling
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import get_cc_module
from stdnum.exceptions import ValidationError


def vat_problem(vat_id: str | None) -> str | None:
    """Why a VAT id is invalid, or None when it is valid (or absent)."""
    if vat_id is None or not vat_id.strip():
        return None
    value = vat_id.strip().replace(" ", "").upper()
    country = value[:2].lower()
    if not country.isalpha():
        return "no country prefix"
    module = get_cc_module(country, "vat")
    if module is None:
        return None  # a country stdnum cannot check is not reported as invalid
    try:
        module.validate(value)
    except ValidationError as exc:
        return str(exc.message) if hasattr(exc, "message") else type(exc).__name__
    return None


def iban_problem(iban: str | None) -> str | None:
    """Why an IBAN is invalid, or None when it is valid (or absent)."""
    if iban is None or not iban.strip():
        return None
    try:
        IBAN(iban)
    except SchwiftyException as exc:
        return str(exc) or type(exc).__name__
    return None


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Make ``vat_problem(varchar)`` and ``iban_problem(varchar)`` callable from SQL."""
    for name, fn in (("vat_problem", vat_problem), ("iban_problem", iban_problem)):
        with contextlib.suppress(Exception):  # not registered yet
            con.remove_function(name)
        con.create_function(
            name,
            fn,
            [duckdb.sqltype("VARCHAR")],
            duckdb.sqltype("VARCHAR"),
            null_handling=FunctionNullHandling.SPECIAL,
        )
