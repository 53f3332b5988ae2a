"""The five vendor emulators, by vendor name."""

from __future__ import annotations

from sandbox.vendors.baloom import BaloomApp
from sandbox.vendors.base import Credentials, VendorApp
from sandbox.vendors.hoursmith import HoursmithApp
from sandbox.vendors.ibana import IbanaApp
from sandbox.vendors.katsu import KatsuApp
from sandbox.vendors.wuro import WuroApp

APPS: dict[str, type[VendorApp]] = {
    "baloom": BaloomApp,
    "katsu": KatsuApp,
    "ibana": IbanaApp,
    "wuro": WuroApp,
    "hoursmith": HoursmithApp,
}

__all__ = ["APPS", "Credentials", "VendorApp"]
