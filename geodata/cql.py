"""CQL2 filters (OGC API - Features - Part 3: Filtering) on a collection's public properties.

`filter=` takes a CQL2 expression (text by default; `filter-lang=cql2-json` for JSON) over
the collection's queryables: its public properties, with their dates as dates, and its
`geometry` (CRS84, or `filter-crs`: any CRS the city offers, in that CRS's axis order).
pygeofilter (the parser pygeoapi uses) reads it, with our rules for AND, OR and NOT on its
text grammar (`_GRAMMAR_RULES`); our evaluator turns it into a Django Q on the collection's
rows, so values are bound as parameters, never written into the SQL, and only the
queryables can be named: a private column cannot be reached by naming it. The same filter
works in OGC API items, the exports and the vector tiles (geodata.exchange.filter_collection).

Supported: comparisons, AND/OR/NOT, LIKE, BETWEEN, IN, IS NULL, CASEI and ACCENTI, the
temporal functions (T_BEFORE and the others, over instants and intervals, open ends
included), and spatial predicates (S_INTERSECTS and the others) with geometries and BBOX;
a quote inside a string is written twice, as CQL2 has it. Other functions and arithmetic
are refused with a 400 saying so.

Comparisons, LIKE, BETWEEN and IN are SQL's own operators, not Django's field lookups, so
they keep SQL's (and CQL2's) three-valued logic: a property without a value is neither
equal nor unequal to anything, and `NOT (granted_amount > 100)` does not select proposals
with no granted amount. (Django's `exclude()` selects them, which is right for Python and
wrong here.) LIKE takes CQL2's wildcards, `%` and `_`, with `\\` escaping, which are SQL's."""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from django.contrib.gis.geos import GEOSGeometry, Polygon
from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, Func, Q, TextField, Value, lookups
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from lark import v_args
from pygeofilter import ast, values
from pygeofilter.backends.django.evaluate import DjangoFilterEvaluator
from pygeofilter.backends.evaluator import handle
from pygeofilter.parsers.cql2_json import parse as parse_json
from pygeofilter.parsers.cql2_text import parser as text_parser

from geodata.collections import Collection

LANGUAGES = ("cql2-text", "cql2-json", "cql-text")  # cql-text: the draft's, from GDAL < 3.7
GEOMETRY = "geometry"
MAX_LENGTH = 4000  # characters of a filter: ample for people, not a payload

# properties whose public value is a text rendering of a date: filtered on the date itself
_DATES = {
    "published": ("published_at", "date-time"),
    "reported": ("reported_at", "date-time"),
    "completed": ("completed_on", "date"),
}
_SKIPPED_TYPES = {"object", "array"}  # a layer's free attributes: not queryable


def queryables(c: Collection) -> dict[str, dict]:
    """The collection's queryables as JSON Schema properties: name -> schema (its ORM field
    under the private key `x-field`, dropped from what is published)."""
    found: dict[str, dict] = {}
    model = c.queryset().model
    for name, kind in c.properties.items():
        if kind in _SKIPPED_TYPES:
            continue
        if name in _DATES:
            field, fmt = _DATES[name]
            found[name] = {"type": "string", "format": fmt, "x-field": field}
            continue
        schema: dict = {"type": kind, "x-field": name}
        try:
            choices = model._meta.get_field(name).choices
        except FieldDoesNotExist:  # an annotation, not a model field
            choices = None
        if choices:
            schema["enum"] = [value for value, _label in choices]
        found[name] = schema
    found[GEOMETRY] = {"format": "geometry-any", "x-field": "_geom"}
    return found


def queryables_schema(c: Collection, url: str) -> dict:
    """The queryables resource (JSON Schema 2020-12), as Part 3 asks."""
    props = {
        name: {k: v for k, v in schema.items() if k != "x-field"} | {"title": name}
        for name, schema in queryables(c).items()
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url,
        "type": "object",
        "title": c.title,
        "properties": props,
        "additionalProperties": False,
    }


class FilterError(ValueError):
    """A filter that cannot be read or names what is not a queryable; its text says why."""


def filter_q(c: Collection, text: str, lang: str | None = None, srid: int | None = None) -> Q:
    """The rows of `c` that `text` (a CQL2 expression in `lang`, its geometries in `srid`
    and that CRS's axis order; None: CRS84) selects, as a Q."""
    lang = lang or "cql2-text"
    if lang not in LANGUAGES:
        raise FilterError(_("filter-lang: use cql2-text or cql2-json."))
    if len(text) > MAX_LENGTH:
        raise FilterError(_("filter: at most %(n)s characters.") % {"n": MAX_LENGTH})
    try:
        # cql-text (the draft's) is read as cql2-text
        if lang == "cql2-json":
            tree = parse_json(_json_read(text))
        else:
            tree = _text_parser().parse(_quotes_kept(text))
    except Exception as exc:  # noqa: BLE001 - lark and json raise many kinds
        said = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise FilterError(_("filter: it cannot be read as %(lang)s: %(why)s")
                          % {"lang": lang, "why": said}) from None  # fmt: skip
    try:
        q = _Evaluator(queryables(c), c, srid).evaluate(tree)
    except FilterError:
        raise
    except Exception as exc:  # noqa: BLE001 - what the evaluator cannot express
        raise FilterError(
            _("filter: this expression is not supported (%(what)s).") % {"what": str(exc)[:200]}
        ) from None
    if not isinstance(q, Q):
        raise FilterError(_("filter: it must be a condition, such as status = 'granted'."))
    return q


# CQL2's temporal functions: each as comparisons of the two sides' start and end (an
# instant starts and ends at once; an interval's open end is the earliest or latest time)
TEMPORAL_FUNCTIONS = {
    "t_after": lambda a, b: [(a[0], ">", b[1])],
    "t_before": lambda a, b: [(a[1], "<", b[0])],
    "t_contains": lambda a, b: [(a[0], "<", b[0]), (a[1], ">", b[1])],
    "t_disjoint": None,  # NOT T_INTERSECTS
    "t_during": lambda a, b: [(a[0], ">", b[0]), (a[1], "<", b[1])],
    "t_equals": lambda a, b: [(a[0], "=", b[0]), (a[1], "=", b[1])],
    "t_finishedby": lambda a, b: [(a[0], "<", b[0]), (a[1], "=", b[1])],
    "t_finishes": lambda a, b: [(a[0], ">", b[0]), (a[1], "=", b[1])],
    "t_intersects": lambda a, b: [(a[0], "<=", b[1]), (a[1], ">=", b[0])],
    "t_meets": lambda a, b: [(a[1], "=", b[0])],
    "t_metby": lambda a, b: [(a[0], "=", b[1])],
    "t_overlappedby": lambda a, b: [(a[0], ">", b[0]), (a[0], "<", b[1]), (a[1], ">", b[1])],
    "t_overlaps": lambda a, b: [(a[0], "<", b[0]), (a[1], ">", b[0]), (a[1], "<", b[1])],
    "t_startedby": lambda a, b: [(a[0], "=", b[0]), (a[1], ">", b[1])],
    "t_starts": lambda a, b: [(a[0], "=", b[0]), (a[1], "<", b[1])],
}
EARLIEST = datetime(1, 1, 1, tzinfo=UTC)  # an interval's open start
LATEST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)  # and its open end

# CQL2's boolean expressions, where pygeofilter 0.4's grammar has AND and OR at one level
# (it read `a OR b AND c` as `(a OR b) AND c`) and NOT before a predicate only (it could
# not read `NOT (a OR b)`): AND binds before OR, and NOT takes a bracketed condition. ILIKE
# (the draft's, which GDAL may send) is LIKE without case, as CASEI on both sides. The
# temporal functions as CQL2 writes them (`T_BEFORE(a, b)`; pygeofilter has them infix, as
# ECQL does), and intervals with dates and open ends (`INTERVAL('2026-01-01', '..')`).
_GRAMMAR_RULES = r"""
%override ?condition: boolean_term
    | condition "OR"i boolean_term -> or_
?boolean_term: condition_1
    | boolean_term "AND"i condition_1 -> and_
%override ?condition_1: predicate
    | "NOT"i predicate -> not_
    | "NOT"i "(" condition ")" -> not_
    | "(" condition ")"
%extend ?predicate: expression "ILIKE"i expression -> ilike
    | expression "NOT"i "ILIKE"i expression -> not_ilike
    | TEMPORAL_FUNCTION "(" expression "," expression ")" -> temporal_function
TEMPORAL_FUNCTION.3: /T_(NAMES)(?=\s*\()/i
%override ?interval: "INTERVAL"i "(" interval_end "," interval_end ")"
?interval_end: "'" DATETIME "'" | "'" DATE "'" | "'..'" -> open_end
""".replace("NAMES", "|".join(name[2:].upper() for name in TEMPORAL_FUNCTIONS))


@v_args(inline=True)
class _Transformer(text_parser.CQLTransformer):
    """pygeofilter's tree builder, with our rules' nodes."""

    def temporal_function(self, name, lhs, rhs):
        return ast.Function(str(name).lower(), [lhs, rhs])

    def open_end(self):
        return None


@functools.cache
def _text_parser():
    """pygeofilter's CQL2-text grammar and its tree builder, with our rules."""
    from lark import Lark

    grammar = os.path.join(os.path.dirname(text_parser.__file__), "grammar.lark")
    with open(grammar, encoding="utf-8") as f:
        text = f.read()
    return Lark(
        text + _GRAMMAR_RULES,
        parser="lalr",
        maybe_placeholders=False,
        transformer=_Transformer(),
        source_path=grammar,  # its own imports (WKT, ISO 8601) are relative to it
        import_paths=[os.path.dirname(os.path.dirname(text_parser.__file__))],
    )


_QUOTE = "\ue000"  # a quote inside a string, while pygeofilter parses it


def _quotes_kept(text: str) -> str:
    """CQL2 writes a quote inside a string as two ('Children''s garden'), which
    pygeofilter 0.4's grammar does not read: each such pair is held as one private
    character while it parses, and the evaluator gives the quote back."""
    out, inside, i = [], False, 0
    while i < len(text):
        char = text[i]
        if char == "'" and inside and text[i + 1 : i + 2] == "'":
            out.append(_QUOTE)
            i += 2
            continue
        if char == "'":
            inside = not inside
        out.append(char)
        i += 1
    return "".join(out)


def _json_read(text: str):
    """The CQL2-JSON document, with what pygeofilter 0.4 reads in the draft's form only
    put in that form: BETWEEN's three arguments (the standard's) as a value and a pair,
    and ACCENTI as a function."""

    def walk(node):
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        node = {key: walk(value) for key, value in node.items()}
        args = node.get("args")
        if node.get("op") == "between" and isinstance(args, list) and len(args) == 3:
            node["args"] = [args[0], args[1:]]
        elif node.get("op") == "accenti" and isinstance(args, list):
            return {"function": {"name": "accenti", "arguments": args}}
        elif str(node.get("op")).lower() in TEMPORAL_FUNCTIONS and isinstance(args, list):
            return {"function": {"name": str(node["op"]).lower(), "arguments": args}}
        return node

    return walk(json.loads(text))


class _Like(lookups.Lookup):
    """`lhs LIKE pattern`: SQL's operator, whose wildcards (`%`, `_`) and escape (`\\`)
    are CQL2's. Built as an expression, never registered as a field lookup."""

    lookup_name = "cql2_like"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", (*lhs_params, *rhs_params)


_COMPARISONS = {
    "=": lookups.Exact,
    "<": lookups.LessThan,
    "<=": lookups.LessThanOrEqual,
    ">": lookups.GreaterThan,
    ">=": lookups.GreaterThanOrEqual,
}


_TURNED = {"CONTAINS": "WITHIN", "WITHIN": "CONTAINS"}  # the others are symmetric


_LITERAL_KINDS = (  # bool before int: True is an int in Python
    (bool, "boolean"),
    (int | float | Decimal, "number"),
    (str, "string"),
    (datetime, "date-time"),
    (date, "date"),
    (GEOSGeometry, "geometry"),
)
_KIN = {"date": "date-time"}  # kinds that compare with each other


def _compare_values(a, op: str, b) -> bool:
    return {"=": a == b, "<>": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _texts(node) -> list[str]:
    """The strings written in a LIKE pattern: itself, or inside CASEI(...) and ACCENTI(...)."""
    if isinstance(node, str):
        return [node]
    return [t for argument in getattr(node, "arguments", ()) for t in _texts(argument)]


def _ends_escaping(text: str) -> bool:
    """An odd run of backslashes at the end: an escape with nothing after it, which
    PostgreSQL refuses."""
    return (len(text) - len(text.rstrip("\\"))) % 2 == 1


@dataclass
class _Span:
    """An interval of a filter: its ends as written (None: open)."""

    start: date | None
    end: date | None


def _operand(value):
    return value if hasattr(value, "resolve_expression") else Value(value)


class _Evaluator(DjangoFilterEvaluator):
    """pygeofilter's Django evaluator, held to the queryables, its geometries put in 4326."""

    def __init__(self, allowed: dict[str, dict], collection: Collection, srid: int | None):
        super().__init__({name: s["x-field"] for name, s in allowed.items()}, None)
        self.allowed = allowed
        self.collection = collection
        self.srid = srid  # of the filter's geometries; None: CRS84
        self.by_field = {schema["x-field"]: schema for schema in allowed.values()}

    def placed(self, geometry: GEOSGeometry) -> GEOSGeometry:
        """A geometry of the filter, as written in filter-crs, in 4326 (lon, lat)."""
        from geodata.exchange import BadQuery, north_first, to_4326

        if self.srid is None:
            geometry.srid = 4326
            return geometry
        try:
            return to_4326(geometry, self.srid, name="filter", flip=north_first(self.srid))
        except BadQuery as e:
            raise FilterError(str(e)) from None

    def box(self, corners) -> GEOSGeometry:
        return self.placed(Polygon.from_bbox(corners))

    @handle(ast.SpatialComparisonPredicate, subclasses=True)
    def spatial_operation(self, node, lhs, rhs):
        """A predicate between the geometry and a literal as GeoDjango's lookup on the
        stored point and area (Collection.geometry_q), which their GiST indexes serve;
        S_INTERSECTS as the bbox parameter's query. A literal first is turned round."""
        op = node.op.name
        if isinstance(lhs, GEOSGeometry) and getattr(rhs, "name", None) == "_geom":
            lhs, rhs, op = rhs, lhs, _TURNED.get(op, op)
        if getattr(lhs, "name", None) == "_geom" and isinstance(rhs, GEOSGeometry):
            return self.collection.geometry_q(op.lower(), rhs)
        return super().spatial_operation(node, lhs, rhs)

    @handle(*values.LITERALS)
    def literal(self, node):
        if isinstance(node, str):
            node = node.replace(_QUOTE, "'")
        return super().literal(node)

    def kind(self, value) -> str:
        """What a side of a comparison holds: string, number, boolean, date, date-time,
        geometry (or `other`), from the queryable's schema or the literal's type."""
        if isinstance(value, F):
            schema = self.by_field.get(value.name, {})
            kind = schema.get("format") or schema.get("type", "other")
            return {"integer": "number", "geometry-any": "geometry"}.get(kind, kind)
        if isinstance(value, Func):  # CASEI (Lower), ACCENTI
            return "string"
        value = getattr(value, "value", value)
        for types, kind in _LITERAL_KINDS:
            if isinstance(value, types):
                return kind
        return "other"

    def comparable(self, *sides) -> None:
        """Refused with a 400 unless every side holds the same kind of value (a date and a
        timestamp compare), rather than a database error for `status > 5`."""
        kinds = {_KIN.get(k, k) for k in map(self.kind, sides)}
        if len(kinds) > 1 or kinds & {"geometry", "other"}:
            named = [s.name for s in sides if isinstance(s, F)]
            label = {v: k for k, v in self.field_mapping.items()}.get(named[0]) if named else ""
            raise FilterError(
                _("filter: %(name)s cannot be compared with %(kinds)s.")
                % {"name": label or _("a value"), "kinds": ", ".join(sorted(kinds))}
            )

    @handle(ast.Comparison, subclasses=True)
    def comparison(self, node, lhs, rhs):
        if isinstance(lhs, GEOSGeometry) or isinstance(rhs, GEOSGeometry):
            return super().comparison(node, lhs, rhs)
        self.comparable(lhs, rhs)
        op = node.op.value
        if not any(isinstance(side, F | Func) for side in (lhs, rhs)):  # two literals
            a, b = (getattr(side, "value", side) for side in (lhs, rhs))
            return Q() if _compare_values(a, op, b) else Q(pk__isnull=True)  # never
        if op == "<>":  # NOT (a = b): unknown, so not selected, when either has no value
            return ~Q(lookups.Exact(_operand(lhs), _operand(rhs)))
        return Q(_COMPARISONS[op](_operand(lhs), _operand(rhs)))

    @handle(ast.Between)
    def between(self, node, lhs, low, high):
        self.comparable(lhs, low, high)
        lhs = _operand(lhs)
        q = Q(lookups.GreaterThanOrEqual(lhs, _operand(low))) & Q(
            lookups.LessThanOrEqual(lhs, _operand(high))
        )
        return ~q if node.not_ else q

    @handle(ast.In)
    def in_(self, node, lhs, *options):
        self.comparable(lhs, *options)
        values = [getattr(option, "value", option) for option in options]
        q = Q(lookups.In(_operand(lhs), values))
        return ~q if node.not_ else q

    @handle(ast.Like)
    def like(self, node, lhs):
        pattern = node.pattern
        if any(_ends_escaping(text) for text in _texts(pattern)):
            raise FilterError(
                _("filter: a LIKE pattern cannot end with its escape character (\\).")
            )
        if isinstance(pattern, ast.Node):  # CASEI('...') or ACCENTI('...')
            pattern = self.evaluate(pattern)
        elif isinstance(pattern, str):
            pattern = Value(pattern.replace(_QUOTE, "'"))
        else:
            raise FilterError(_("filter: LIKE takes a text pattern."))
        if self.kind(lhs) != "string":
            raise FilterError(_("filter: LIKE takes a text property."))
        if node.nocase:
            lhs, pattern = Lower(_operand(lhs)), Lower(pattern)
        q = Q(_Like(_operand(lhs), pattern))
        return ~q if node.not_ else q

    @handle(ast.Attribute)
    def attribute(self, node):
        if node.name not in self.allowed:
            raise FilterError(
                _("filter: %(name)s is not a queryable of this collection. Queryables: %(names)s.")
                % {"name": str(node.name)[:80], "names": ", ".join(self.allowed)}  # fmt: skip
            )
        return super().attribute(node)

    @handle(values.Geometry)
    def geometry(self, node):
        return self.placed(GEOSGeometry(json.dumps(node.__geo_interface__)))

    @handle(values.Envelope)
    def envelope(self, node):
        return self.box((node.x1, node.y1, node.x2, node.y2))

    @handle(type(None))
    def nothing(self, node):  # an interval's open end
        return None

    @handle(values.Interval)
    def interval(self, node, start, end):
        return _Span(node.start, node.end)

    @handle(ast.TemporalPredicate, subclasses=True)
    def temporal(self, node, lhs, rhs):
        raise FilterError(_("filter: write a temporal function as CQL2 does: T_BEFORE(a, b)."))

    def temporal_q(self, name: str, lhs, rhs) -> Q:
        """T_BEFORE(a, b) and the others, as comparisons of the sides' starts and ends."""
        if name == "t_disjoint":
            return ~self.temporal_q("t_intersects", lhs, rhs)
        a, b = self.span(name, lhs), self.span(name, rhs)
        q = Q()
        for x, op, y in TEMPORAL_FUNCTIONS[name](a, b):
            q &= Q(_COMPARISONS[op](x, y))
        return q

    def span(self, name: str, side) -> tuple:
        """A side of a temporal function as (start, end): a time property or an instant
        starts and ends at once."""
        ends = (side.start, side.end) if isinstance(side, _Span) else ()
        if ends and all(end is None or isinstance(end, date) for end in ends):  # no durations
            return Value(side.start or EARLIEST), Value(side.end or LATEST)
        if isinstance(side, F) and self.kind(side) in ("date", "date-time"):
            return side, side
        if isinstance(getattr(side, "value", None), date):  # a datetime is a date too
            return side, side
        raise FilterError(
            _("filter: %(name)s takes times: dates, timestamps, intervals or their properties.")
            % {"name": name.upper()}
        )

    @handle(ast.Function)
    def function(self, node, *arguments):
        name = str(node.name).lower()
        if name in TEMPORAL_FUNCTIONS and len(arguments) == 2:
            return self.temporal_q(name, *arguments)
        if name in ("lower", "accenti") and len(arguments) == 1:  # CASEI arrives as lower
            if self.kind(arguments[0]) != "string":
                raise FilterError(_("filter: CASEI and ACCENTI take text."))
            text = _operand(arguments[0])
            if name == "lower":
                return Lower(text)
            return Func(text, function="wcs_unaccent", output_field=TextField())  # 0019
        # CQL2-text's BBOX(minx, miny, maxx, maxy) literal arrives as a function here
        numbers = [getattr(a, "value", a) for a in arguments]
        is_box = name == "bbox" and len(numbers) in (4, 6)
        if is_box and all(isinstance(n, int | float) for n in numbers):
            half = len(numbers) // 2  # 6: with heights, dropped
            return self.box((numbers[0], numbers[1], numbers[half], numbers[half + 1]))
        raise FilterError(_("filter: functions are not supported (%(name)s).")
                          % {"name": str(node.name)[:80]})  # fmt: skip

    @handle(ast.Arithmetic, subclasses=True)
    def arithmetic(self, node, lhs, rhs):
        raise FilterError(_("filter: arithmetic is not supported."))
