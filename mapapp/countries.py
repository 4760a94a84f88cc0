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
    ),
}

# the CityInformation fields a preset fills
PRESET_FIELDS = ("authority_name", "authority_url", "enforcement_name", "enforcement_url")


def preset(code: str) -> CountryPreset | None:
    return PRESETS.get((code or "").upper())


def preset_values(code: str) -> dict[str, str]:
    found = preset(code)
    return {name: getattr(found, name) for name in PRESET_FIELDS} if found else {}
