"""Rules that turn Ostrava's sport-field register into neglected sites: all in one place.

`TECH_STAV` is free Czech text about the technical condition; `VLASTNIK` names the owner.
Texts are compared without case and accents. Planned reconstruction is checked first (a
place awaiting a planned reconstruction is being revitalised even when it is in a poor
state now); then signs of a poor or unsatisfactory state, age and wear, or a need for
reconstruction make a neglected site. Anything else (good, satisfactory, unknown) is not a
site. Each rule has a test on real examples from the file (tests/sites/test_classification.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


def fold(text: str | None) -> str:
    """Lower case, no accents, single spaces: "Špatný  STAV" -> "spatny stav"."""
    text = text if isinstance(text, str) else ""  # None, or NaN from a data frame
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern
    outcome: str  # a Site.Condition value


def _rule(name: str, regex: str, outcome: str) -> Rule:
    return Rule(name, re.compile(regex), outcome)


BEING = "being_revitalised"
NEGLECTED = "neglected"

CONDITION_RULES: list[Rule] = [
    # awaiting a planned reconstruction
    _rule("before planned reconstruction", r"\bpred (planovanou )?rekonstrukci\b", BEING),
    _rule("reconstruction will take place", r"\bprobehne rekonstrukce\b", BEING),
    _rule("under reconstruction", r"\bv rekonstrukci\b", BEING),
    _rule("conversion being prepared", r"\bpriprava zruseni\b", BEING),
    # poor or unsatisfactory state
    _rule("unsatisfactory", r"\bnevyhovuj", NEGLECTED),
    _rule("poor state", r"\b(velmi |velice )?spatn", NEGLECTED),
    _rule("emergency state", r"\bhavarijn", NEGLECTED),
    _rule("catastrophic", r"\bkatastrofaln", NEGLECTED),
    _rule("not maintained", r"\bne(udrzovan|upraven)", NEGLECTED),
    # old and worn
    _rule("obsolete", r"\bzastaral", NEGLECTED),
    _rule("old type of facility", r"\b(stary|starsi) typ\b", NEGLECTED),
    _rule("very old", r"\bvelmi star", NEGLECTED),
    _rule("cracked surface", r"\bpopraskan", NEGLECTED),
    _rule("worn after decades", r"\bopotrebeni\b", NEGLECTED),
    # needs reconstruction or repair
    _rule("reconstruction needed",
          r"\b(nutn[aeo]|nutnost|je nutno|vyzaduj\w*)( \w+){0,2} (rekonstru|oprav|obmen|vymen)",
          NEGLECTED),
]  # fmt: skip


def classify_condition(tech_stav: str | None) -> tuple[str | None, str | None]:
    """(condition, rule name) for a TECH_STAV text; (None, None) when it is not a site."""
    text = fold(tech_stav)
    for rule in CONDITION_RULES:
        if rule.pattern.search(text):
            return rule.outcome, rule.name
    return None, None


OWNERSHIP_RULES: list[Rule] = [
    # the municipality (obec, Statutární město Ostrava) or one of its districts
    _rule("municipality", r"\b(obec|smo|mestsky obvod|statutarni mesto)\b", "city"),
    # the region, the state, or a company the city owns
    _rule("region or state", r"\b(kraj|uzsvm|sareza)\b", "public"),
    # clubs, associations, parishes, companies, private owners
    _rule("club or association",
          r"\b(klub|spolek|tj|telocvicna jednota|sokol|farnost|z\.s\.)", "private"),
    _rule("private owner or company", r"\b(soukrom\w*|a\.s\.|arena)", "private"),
]  # fmt: skip


def classify_ownership(vlastnik: str | None) -> str:
    text = fold(vlastnik)
    for rule in OWNERSHIP_RULES:
        if rule.pattern.search(text):
            return rule.outcome
    return "unknown"
