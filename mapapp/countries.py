"""What a country's law names for every city in it: the data protection authority a
resident complains to (GDPR Art. 77), the body that enforces web accessibility (Directive
(EU) 2016/2102, Art. 9), and the national law that transposes the directive, which the
accessibility statement cites.

A city with a `country` gets these in its information when it is added (`city_add
--country`) and its officers may fill them in later with one button; what a city already
gave is never overwritten. A country without a preset here is still a valid country: its
officers type the bodies in themselves.

Checked against the bodies' own sites in November 2026; laws and names change, so
deployments should review them (the officers' page edits every value)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class CountryPreset:
    name: str | Promise  # in the reader's language
    authority_name: str
    authority_url: str
    enforcement_name: str
    enforcement_url: str
    accessibility_law: str  # the transposing act, as its own country cites it
    register_name: str  # where officers look an organisation up by its number
    register_url: str


PRESETS: dict[str, CountryPreset] = {
    "PL": CountryPreset(
        name=_("Poland"),
        authority_name="Prezes Urzędu Ochrony Danych Osobowych",
        authority_url="https://uodo.gov.pl/",
        enforcement_name="Rzecznik Praw Obywatelskich",
        enforcement_url="https://bip.brpo.gov.pl/",
        accessibility_law=(
            "Ustawa z dnia 4 kwietnia 2019 r. o dostępności cyfrowej stron internetowych i "
            "aplikacji mobilnych podmiotów publicznych"
        ),
        register_name="Wyszukiwarka KRS",
        register_url="https://wyszukiwarka-krs.ms.gov.pl/",
    ),
    "CZ": CountryPreset(
        name=_("Czechia"),
        authority_name="Úřad pro ochranu osobních údajů",
        authority_url="https://uoou.gov.cz/",
        enforcement_name="Ministerstvo vnitra",
        enforcement_url="https://www.mvcr.cz/",
        accessibility_law=(
            "Zákon č. 99/2019 Sb., o přístupnosti internetových stránek a mobilních aplikací"
        ),
        register_name="ARES",
        register_url="https://ares.gov.cz/",
    ),
}

# the CityInformation fields a preset fills
PRESET_FIELDS = ("authority_name", "authority_url", "enforcement_name", "enforcement_url")


def preset(code: str) -> CountryPreset | None:
    return PRESETS.get((code or "").upper())


def preset_values(code: str) -> dict[str, str]:
    found = preset(code)
    return {name: getattr(found, name) for name in PRESET_FIELDS} if found else {}


# --- organisations' numbers in the national registers ---------------------------------------


def registration_number(code: str, value: str) -> str:
    """An organisation's number as one form of it, checked where its country's registers
    have a check digit, so that a typo is said at once and "KRS 0000 123 456" and "123456"
    are one organisation. Raises ValidationError with what is wrong. Countries without
    rules here keep letters and digits only (upper case); the officers check every number
    in the register before verifying a representative either way.

    - Poland: the KRS number (10 digits, no check digit; usually given without its leading
      zeros), or for an organisation outside the KRS (an ordinary association, a parish
      group) its NIP or REGON (both with check digits). Stored with its kind in front:
      KRS0000123456, NIP…, REGON….
    - Czechia: the IČO (8 digits, the last a check digit; older ones are given shorter,
      without leading zeros); CZ before it (the DIČ of an organisation) is the same number.
    """
    raw = "".join(ch for ch in (value or "").upper() if ch.isalnum())
    if not raw:
        return ""
    prefix = raw.rstrip("0123456789")
    digits = raw[len(prefix) :]
    code = (code or "").upper()
    if code == "PL":
        return _polish(prefix, digits, value)
    if code == "CZ":
        return _czech(prefix, digits, value)
    return raw


def _weighted(digits: str, weights) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False))


def _nip_valid(digits: str) -> bool:
    check = _weighted(digits, (6, 5, 7, 2, 3, 4, 5, 6, 7)) % 11
    return len(digits) == 10 and check != 10 and check == int(digits[9])


def _regon_valid(digits: str) -> bool:
    weights = {9: (8, 9, 2, 3, 4, 5, 6, 7), 14: (2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8)}
    if len(digits) not in weights:
        return False
    return _weighted(digits, weights[len(digits)]) % 11 % 10 == int(digits[-1])


def _polish(prefix: str, digits: str, value: str) -> str:
    if digits and prefix in ("", "KRS") and len(digits) <= 10 and digits.zfill(10)[:3] == "000":
        return "KRS" + digits.zfill(10)  # KRS numbers are below 10 million: 000… in 10 digits
    if prefix in ("", "NIP", "PL") and _nip_valid(digits):
        return "NIP" + digits
    if prefix in ("", "REGON") and _regon_valid(digits):
        return "REGON" + digits
    raise ValidationError(
        _(
            "%(number)s is not a KRS number, NIP or REGON: give the organisation's KRS number, "
            "or the NIP or REGON of one outside the KRS, as the register shows it."
        ),
        params={"number": value.strip()[:60]},
        code="registration_number",
    )


def _czech(prefix: str, digits: str, value: str) -> str:
    if prefix in ("", "IČO", "ICO", "IČ", "IC", "CZ") and digits and len(digits) <= 8:
        ico = digits.zfill(8)
        if (11 - _weighted(ico, (8, 7, 6, 5, 4, 3, 2)) % 11) % 10 == int(ico[7]):
            return ico
    raise ValidationError(
        _(
            "%(number)s is not an IČO: it has 8 digits, the last a check digit. Copy it from "
            "the register (ARES)."
        ),
        params={"number": value.strip()[:60]},
        code="registration_number",
    )
