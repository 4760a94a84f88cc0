"""One test per rule, on real TECH_STAV and VLASTNIK texts from Ostrava's register."""

import pytest

from sites.classification import CONDITION_RULES, classify_condition, classify_ownership

REAL_EXAMPLES = {
    # rule name: a real text from ostrava_sport_fields_points.geojson
    "before planned reconstruction": "před plánovanou rekonstrukcí",
    "reconstruction will take place": "nevyhovující, proběhne rekonstrukce v létě 2019",
    "under reconstruction": "v rekonstrukci, rozměry 36,66 x 35,5 m",
    "conversion being prepared": "ve spolupráci se zřizovatelem příprava zrušení štěrkového "
    "vržiště, zatravnění celé plochy",
    "unsatisfactory": "betonové desky odpovídají stáří, nevyhovující stav",
    "poor state": "Hřiště je ve špatném technickém stavu",
    "emergency state": "havarijní stav povrchu",
    "catastrophic": "katastrofální, nevhodný, nevzhledný, neupravený, nerovný, neudržovaný "
    "(pouze tráva se zde seká).",
    "not maintained": "pouze travnatá, neudržovaná  plocha",
    "obsolete": "ZASTARALÝ areál",  # case and accents do not matter
    "old type of facility": "jedná se o sportovní hřiště s tenisovou konstrukcí, starší typ hřiště",
    "very old": "30 x 40 m,  velmi staré s popraskanou asfaltovou plochou bez vybavení",
    "cracked surface": "asfaltový povrch je popraskaný",
    "worn after decades": "po 30 letech provozu bez rekonstrukce povrch odpovídá opotřebení "
    "a vlivům počasí",
    "reconstruction needed": "rok výstavby cca 1920, částečně rekonstruováno, vyžaduje další "
    "rekonstrukci",
}


def test_every_rule_has_a_real_example():
    assert {rule.name for rule in CONDITION_RULES} == set(REAL_EXAMPLES)


@pytest.mark.parametrize("rule", CONDITION_RULES, ids=lambda r: r.name)
def test_rule_on_its_real_example(rule):
    condition, matched = classify_condition(REAL_EXAMPLES[rule.name])
    assert (condition, matched) == (rule.outcome, rule.name)


@pytest.mark.parametrize(
    "text",
    [
        "dobrý",
        "Vyhovuje",
        "velmi dobrý, rekonstrukce proběhla v roce 2014",
        "po rekonstrukci",
        "Rozměry 30x17 m, stav vyhovující bezpečnosti, starší vybavení",
        "Hřiště je v uspokojivém technickém stavu",
        "Hřiště je cca 7 let po celkové rekonstrukci, ZŠ realizuje pravidelně dle potřeby drobné "
        "opravy",
        None,
        "",
    ],
)
def test_good_or_unknown_condition_is_not_a_site(text):
    assert classify_condition(text) == (None, None)


@pytest.mark.parametrize(
    ("owner", "expected"),
    [
        ("obec", "city"),
        ("obec, SMO, Městský obvod Polanka nad Odrou", "city"),
        ("SMO", "city"),
        ("Moravskoslezský kraj", "public"),
        ("ÚZSVM", "public"),
        ("SAREZA", "public"),
        ("klub", "private"),
        ("spolek", "private"),
        ("TJ Sokol Stará Bělá", "private"),
        ("Římskokatolická farnost Stará Bělá", "private"),
        ("soukromý vlastník", "private"),
        ("SC Poruba a.s.", "private"),
        (None, "unknown"),
    ],
)
def test_ownership(owner, expected):
    assert classify_ownership(owner) == expected
