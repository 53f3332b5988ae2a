"""The five vendor emulators, by vendor name."""

from __future__ import annotations

from sandbox.vendors.baloom import BaloomApp
from sandbox.vendors.base import Credentials, VendorApp

APPS: dict[str, type[VendorApp]] = {
    "baloom": BaloomApp,
}

__all__ = ["APPS", "Credentials", "VendorApp"]
