"""Deterministic identities: ids, company names, emails, VAT ids and IBANs.

VAT ids and IBANs are real formats with real check digits; a few are deliberately broken so
that the warehouse's validation has something to find.
"""

from __future__ import annotations

import random
import uuid

from schwifty import IBAN
from stdnum.iso7064 import mod_11_10

from sandbox.world.model import Party

_PREFIX = [
    "Atelier",
    "Maison",
    "Brasserie",
    "Boulangerie",
    "Cabinet",
    "Studio",
    "Garage",
    "Agence",
    "Nordwind",
    "Bergmann",
    "Alpen",
    "Rhein",
    "Thames",
    "Highland",
    "Oakridge",
    "Harbour",
    "Lagos",
    "Eko",
    "Zenith",
    "Savanna",
    "Pacific",
    "Summit",
    "Granite",
    "Willow",
    "Copper",
    "Azur",
    "Lumière",
    "Provence",
    "Elbe",
    "Baltic",
    "Kestrel",
    "Meridian",
]
_CORE = [
    "Dupont",
    "Moreau",
    "Laurent",
    "Fischer",
    "Weber",
    "Schneider",
    "Hughes",
    "Patel",
    "Okafor",
    "Adeyemi",
    "Bianchi",
    "Martin",
    "Bernard",
    "Keller",
    "Walsh",
    "Murphy",
    "Delta",
    "Orion",
    "Vega",
    "Atlas",
    "Nova",
    "Helix",
    "Quartz",
    "Cedar",
    "Falcon",
    "Lotus",
]
_SUFFIX = {
    "FR": ["SARL", "SAS", "SA", "EURL"],
    "DE": ["GmbH", "AG", "KG", "UG"],
    "GB": ["Ltd", "LLP", "PLC", "Ltd"],
    "US": ["Inc", "LLC", "Corp", "Co"],
    "NG": ["Ltd", "Nigeria Ltd", "Enterprises", "Ventures"],
}
_CITIES = {
    "FR": [("Paris", "75011"), ("Lyon", "69003"), ("Nantes", "44000"), ("Lille", "59000")],
    "DE": [("Berlin", "10115"), ("München", "80331"), ("Hamburg", "20095"), ("Köln", "50667")],
    "GB": [("London", "EC1A 1BB"), ("Leeds", "LS1 4AP"), ("Bristol", "BS1 5TR")],
    "US": [("Austin", "78701"), ("Boston", "02108"), ("Denver", "80202")],
    "NG": [("Lagos", "101233"), ("Abuja", "900211"), ("Ibadan", "200284")],
}
_STREETS = [
    "rue de la Paix",
    "Hauptstraße",
    "High Street",
    "Main Street",
    "Broad Street",
    "avenue Victor Hugo",
    "Bahnhofstraße",
    "Marina Road",
]
_BANKS = {
    "DE": [("37040044", "COBADEFFXXX"), ("50010517", "INGDDEFFXXX"), ("10070000", "DEUTDEBBXXX")],
    "FR": [("30004", "BNPAFRPPXXX"), ("30006", "AGRIFRPPXXX"), ("20041", "PSSTFRPPXXX")],
    "GB": [("BUKB202015", "BUKBGB22XXX"), ("NWBK601613", "NWBKGB2LXXX")],
}
_ACCOUNT_DIGITS = {"DE": 10, "FR": 11, "GB": 8}

COUNTRY_WEIGHTS = [("FR", 40), ("DE", 25), ("GB", 20), ("US", 8), ("NG", 7)]


def det_uuid(rng: random.Random) -> str:
    """A version-4 shaped UUID drawn from ``rng``."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def object_id(rng: random.Random) -> str:
    """A 24-hex MongoDB ObjectId shape (Wuro)."""
    return f"{rng.getrandbits(96):024x}"


def cuid(rng: random.Random) -> str:
    """A cuid-like id (ibana): 'c' and 24 base-36 characters."""
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    return "c" + "".join(rng.choice(alphabet) for _ in range(24))


def _fr_vat(rng: random.Random) -> str:
    digits = [rng.randrange(10) for _ in range(8)]
    # SIREN: Luhn check digit on 9 digits
    for check in range(10):
        siren = "".join(map(str, digits)) + str(check)
        total = 0
        for i, ch in enumerate(reversed(siren)):
            d = int(ch) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            break
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"


def _de_vat(rng: random.Random) -> str:
    body = str(rng.randrange(1, 10)) + "".join(str(rng.randrange(10)) for _ in range(7))
    return f"DE{body}{mod_11_10.calc_check_digit(body)}"


def _gb_vat(rng: random.Random) -> str:
    from stdnum.gb import vat as gbvat

    while True:
        body = "".join(str(rng.randrange(10)) for _ in range(7))
        for suffix in range(100):
            cand = f"{body}{suffix:02d}"
            if gbvat.is_valid(cand):
                return f"GB{cand}"


def _vat_id(rng: random.Random, country: str) -> str | None:
    if country == "FR":
        return _fr_vat(rng)
    if country == "DE":
        return _de_vat(rng)
    if country == "GB":
        return _gb_vat(rng)
    return None


def _break_digit(value: str, rng: random.Random) -> str:
    """Change one digit so the check fails (the last digit is always part of the check)."""
    last = int(value[-1])
    return value[:-1] + str((last + 1 + rng.randrange(8)) % 10)


def _iban(rng: random.Random, country: str) -> tuple[str, str] | None:
    if country not in _BANKS:
        return None
    bank, bic = rng.choice(_BANKS[country])
    account = "".join(str(rng.randrange(10)) for _ in range(_ACCOUNT_DIGITS[country]))
    return str(IBAN.generate(country, bank_code=bank, account_code=account)), bic


def make_party(key: int, rng: random.Random, invalid_rate: float = 0.04) -> Party:
    """A deterministic party; about ``invalid_rate`` of VAT ids and IBANs fail their checks."""
    country = rng.choices([c for c, _ in COUNTRY_WEIGHTS], [w for _, w in COUNTRY_WEIGHTS])[0]
    # Names carry the key so that two parties never share a normalized name.
    name = f"{rng.choice(_PREFIX)} {rng.choice(_CORE)} {key} {rng.choice(_SUFFIX[country])}"
    slug = name.lower().replace(" ", "-").replace("é", "e").replace("è", "e").replace("ö", "o")
    email = f"billing@{slug}.example" if rng.random() < 0.9 else None
    vat = _vat_id(rng, country)
    vat_valid = True
    if vat is not None and rng.random() < invalid_rate:
        vat, vat_valid = _break_digit(vat, rng), False
    iban_bic = _iban(rng, country)
    iban, bic, iban_valid = None, None, True
    if iban_bic is not None:
        iban, bic = iban_bic
        if rng.random() < invalid_rate:
            iban, iban_valid = _break_digit(iban, rng), False
    city, zip_code = rng.choice(_CITIES[country])
    return Party(
        key=key,
        name=name,
        email=email,
        phone=f"+{rng.randrange(10, 99)} {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}",
        country=country,
        vat_id=vat,
        vat_valid=vat_valid,
        iban=iban,
        iban_valid=iban_valid,
        bic=bic,
        street=f"{rng.randrange(1, 200)} {rng.choice(_STREETS)}",
        city=city,
        zip=zip_code,
    )


def name_variant(name: str, variant: int) -> str:
    """How another system might spell the same company: case and punctuation differ."""
    if variant == 1:
        return name.upper()
    if variant == 2:
        return name.replace(" ", "  ", 1) + "."
    return name
