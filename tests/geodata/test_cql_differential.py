"""CQL2 filters checked against a reference: random expressions over the proposals'
queryables (comparisons, LIKE with its wildcards, CASEI, BETWEEN, IN, IS NULL, timestamps,
S_INTERSECTS with a box, NOT, AND and OR, written with only the brackets CQL2's precedence
needs), each evaluated here in Python with CQL2's three-valued logic over the rows, and by
the server through OGC API. Both must select the same proposals."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.contrib.gis.geos import Polygon
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proposals.models import Proposal

pytestmark = pytest.mark.django_db

TITLES = ["Ala", "Alaska", "A_b", "Axb", "50% off", "Park", "park 2", "Zahrada", "Ogród"]
AMOUNTS = [None, Decimal(50), Decimal(100), Decimal(5000)]
STATUSES = ["collecting_support", "submitted", "granted", "rejected", "completed"]
CATEGORIES = ["playground", "seating", "greenery"]
NOW = timezone.now().replace(microsecond=0)  # whole seconds: literals can equal the rows


def day(n: int):
    return NOW - timedelta(days=n)


@pytest.fixture
def rows(exchange_world):
    public = Proposal.objects.filter(status__in=Proposal.PUBLIC_STATUSES, hidden_at__isnull=True)
    for n, pk in enumerate(public.order_by("pk").values_list("pk", flat=True)):
        Proposal.objects.filter(pk=pk).update(
            title=TITLES[n % len(TITLES)], granted_amount=AMOUNTS[n % len(AMOUNTS)],
            published_at=day(n % 20),  # the days the time literals are drawn from
        )  # fmt: skip
    found = list(public.values("pk", "title", "status", "category", "granted_amount",
                               "published_at", "geom", "area"))  # fmt: skip
    for row in found:  # the geometry the collection shows: the drawn area, else the pin
        row["shape"] = row["area"] or row["geom"]
    return found


# --- expressions: (text, precedence, evaluate(row) -> True / False / None) ----------------

OR, AND, NOT, PREDICATE = 1, 2, 3, 4


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _compare(a, op, b):
    if a is None or b is None:
        return None
    return {"=": a == b, "<>": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _like(value, pattern):
    if value is None:
        return None
    regex, chars = [], iter(pattern)
    for char in chars:
        if char == "\\":
            regex.append(re.escape(next(chars, "\\")))
        else:
            regex.append({"%": ".*", "_": "."}.get(char, re.escape(char)))
    return re.fullmatch("".join(regex), value, re.DOTALL) is not None


def _not(v):
    return None if v is None else not v


def _and(a, b):
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def _or(a, b):
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


def _both(a, first, b, second):
    """a's start `first` b's start, and a's end `second` b's end (three-valued)."""
    return _and(_compare(a[0], first, _open(b)[0]), _compare(a[1], second, _open(b)[1]))


def _open(b):
    """A literal's ends, an open one (None) the earliest or the latest time."""
    return (b[0] or datetime.min.replace(tzinfo=UTC), b[1] or datetime.max.replace(tzinfo=UTC))


# CQL2's temporal functions over (start, end) pairs, written out independently of ours
ALLEN = {
    "t_after": lambda a, b: _compare(a[0], ">", _open(b)[1]),
    "t_before": lambda a, b: _compare(a[1], "<", _open(b)[0]),
    "t_contains": lambda a, b: _both(a, "<", b, ">"),
    "t_disjoint": lambda a, b: _not(ALLEN["t_intersects"](a, b)),
    "t_during": lambda a, b: _both(a, ">", b, "<"),
    "t_equals": lambda a, b: _both(a, "=", b, "="),
    "t_finishedby": lambda a, b: _both(a, "<", b, "="),
    "t_finishes": lambda a, b: _both(a, ">", b, "="),
    "t_intersects": lambda a, b: _and(
        _compare(a[0], "<=", _open(b)[1]), _compare(a[1], ">=", _open(b)[0])
    ),
    "t_meets": lambda a, b: _compare(a[1], "=", _open(b)[0]),
    "t_metby": lambda a, b: _compare(a[0], "=", _open(b)[1]),
    "t_overlappedby": lambda a, b: _and(_both(a, ">", b, ">"), _compare(a[0], "<", _open(b)[1])),
    "t_overlaps": lambda a, b: _and(_both(a, "<", b, "<"), _compare(a[1], ">", _open(b)[0])),
    "t_startedby": lambda a, b: _both(a, "=", b, ">"),
    "t_starts": lambda a, b: _both(a, "=", b, "<"),
}

ops = st.sampled_from(["=", "<>", "<", "<=", ">", ">="])
amounts = st.integers(min_value=0, max_value=6000)
pattern_chars = st.sampled_from(list("AaPpl%_\\ 0xk") + ["%", "_"])


@st.composite
def predicates(draw):
    kind = draw(st.sampled_from(["text", "amount", "like", "between", "in", "null",
                                 "casei", "published", "box", "temporal"]))  # fmt: skip
    if kind == "temporal":
        name = draw(st.sampled_from(sorted(ALLEN)))
        ends = [day(d) for d in sorted(draw(st.lists(st.integers(0, 25), min_size=2,
                                                     max_size=2)), reverse=True)]  # fmt: skip
        stamp = [e.strftime("%Y-%m-%dT%H:%M:%SZ") for e in ends]
        shape = draw(st.sampled_from(["instant", "interval", "open start", "open end"]))
        if shape == "instant":
            text, other = f"TIMESTAMP('{stamp[0]}')", (ends[0], ends[0])
        else:
            start = ends[0] if shape != "open start" else None
            end = ends[1] if shape != "open end" else None
            written = [f"'{stamp[0]}'" if start else "'..'", f"'{stamp[1]}'" if end else "'..'"]
            text, other = f"INTERVAL({written[0]}, {written[1]})", (start, end)
        return f"{name.upper()}(published, {text})", lambda r: ALLEN[name](
            (r["published_at"], r["published_at"]), other
        )
    if kind == "casei":
        pattern = "".join(draw(st.lists(st.sampled_from(list("aAlLpPkK%_")), min_size=1,
                                        max_size=5)))  # fmt: skip
        text = f"CASEI(title) LIKE CASEI({_quoted(pattern)})"
        return text, lambda r: _like(r["title"].lower(), pattern.lower())
    if kind == "published":
        days, op = draw(st.integers(min_value=0, max_value=40)), draw(ops)
        when = day(days)
        stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        text = f"published {op} TIMESTAMP('{stamp}')"
        return text, lambda r: _compare(r["published_at"], op, when)
    if kind == "box":
        x, y = draw(st.floats(16.15, 16.21)), draw(st.floats(54.17, 54.20))
        w, h = draw(st.floats(0.001, 0.03)), draw(st.floats(0.001, 0.02))
        box = Polygon.from_bbox((x, y, x + w, y + h))
        box.srid = 4326
        text = f"S_INTERSECTS(geometry, BBOX({x!r}, {y!r}, {x + w!r}, {y + h!r}))"
        return text, lambda r: r["shape"].intersects(box)
    if kind == "text":
        name = draw(st.sampled_from(["status", "category"]))
        value = draw(st.sampled_from(STATUSES if name == "status" else CATEGORIES))
        op = draw(ops)
        return f"{name} {op} {_quoted(value)}", lambda r: _compare(r[name], op, value)
    if kind == "amount":
        op, value = draw(ops), draw(amounts)
        return f"granted_amount {op} {value}", lambda r: _compare(r["granted_amount"], op, value)
    if kind == "like":
        pattern = "".join(draw(st.lists(pattern_chars, min_size=1, max_size=6)))
        if (len(pattern) - len(pattern.rstrip("\\"))) % 2:  # an escape with nothing after
            pattern += "%"
        negated = draw(st.booleans())
        text = f"title {'NOT ' if negated else ''}LIKE {_quoted(pattern)}"
        return (
            text,
            lambda r: _not(_like(r["title"], pattern)) if negated else _like(r["title"], pattern),
        )
    if kind == "between":
        low, high = sorted(draw(st.lists(amounts, min_size=2, max_size=2)))
        negated = draw(st.booleans())
        text = f"granted_amount {'NOT ' if negated else ''}BETWEEN {low} AND {high}"

        def between(r):
            inside = _and(_compare(r["granted_amount"], ">=", low),
                          _compare(r["granted_amount"], "<=", high))  # fmt: skip
            return _not(inside) if negated else inside

        return text, between
    if kind == "in":
        values = draw(st.lists(st.sampled_from(STATUSES), min_size=1, max_size=3, unique=True))
        negated = draw(st.booleans())
        listed = ", ".join(_quoted(v) for v in values)
        text = f"status {'NOT ' if negated else ''}IN ({listed})"
        return text, lambda r: (r["status"] not in values) if negated else (r["status"] in values)
    negated = draw(st.booleans())
    text = f"granted_amount IS {'NOT ' if negated else ''}NULL"
    return text, lambda r: (r["granted_amount"] is not None) == negated


def _wrapped(expr, level):
    text, own, _evaluate = expr
    return f"({text})" if own < level else text


def conditions():
    leaves = predicates().map(lambda p: (p[0], PREDICATE, p[1]))

    def extend(children):
        def negate(e):
            return f"NOT ({e[0]})", NOT, lambda r: _not(e[2](r))

        def joined(word, level, combine):
            def join(pair):
                a, b = pair  # the right side bracketed at its own level: left-associative
                text = f"{_wrapped(a, level)} {word} {_wrapped(b, level + 1)}"
                return text, level, lambda r: combine(a[2](r), b[2](r))

            return join

        pairs = st.tuples(children, children)
        return (children.map(negate) | pairs.map(joined("AND", AND, _and))
                | pairs.map(joined("OR", OR, _or)))  # fmt: skip

    return st.recursive(leaves, extend, max_leaves=6)


def test_random_filters_select_what_cql2s_logic_selects(client, rows):
    @settings(max_examples=150, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
    @given(conditions())
    def check(expr):
        text, _level, evaluate = expr
        want = {r["pk"] for r in rows if evaluate(r) is True}
        query = urlencode({"filter": text, "limit": 1000, "f": "json"})
        r = client.get(f"/ogcapi/koszalin/collections/proposals/items?{query}")
        assert r.status_code == 200, (text, r.content[:300])
        assert {f["id"] for f in r.json()["features"]} == want, text

    check()
