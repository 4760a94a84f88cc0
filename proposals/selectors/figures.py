"""The programme in figures: per call, per city and for the network of cities."""

from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from decimal import Decimal

from django.contrib.gis.db.models.functions import Transform
from django.db.models import Count, F, Q, Sum

from mapapp.models import City
from proposals.models import (
    GrantCall,
    Proposal,
)

S = Proposal.Status


# --- the programme in figures --------------------------------------------------------


@dataclass
class CallFigures:
    """One call's figures for the programme's report (officers), or the totals of all."""

    call: GrantCall | None  # None: the totals row
    budget: Decimal = Decimal("0")
    published: int = 0  # ever published to gather support
    submitted: int = 0
    supporters: int = 0  # supports counted now, over the published proposals
    assessed: int = 0  # passed the formal check (then assessed, decided, or withdrawn)
    granted: int = 0
    granted_sum: Decimal = Decimal("0")
    spent: Decimal = Decimal("0")  # the granted projects' expenses with receipts
    completed: int = 0  # built: completed, sustainability, closed (or revoked after)
    volunteer_hours: Decimal = Decimal("0")  # people x hours of the work days logged
    area_m2: float = 0.0  # the granted projects' drawn areas, in the city's metric CRS


def programme_figures(*, city: City, public: bool = False) -> tuple[list[CallFigures], CallFigures]:
    """Each call of the city, the latest first, in figures, and the totals: what a city
    reports to its council and its partners. Three grouped queries (proposals, expenses,
    work days), each summed per call in the database, so the rows of one relation never
    multiply another's sums. Hidden proposals count in the officers' record; `public`
    leaves them out (the calls page's "so far")."""
    from django.db.models import DecimalField, ExpressionWrapper, FloatField, Func
    from django.db.models.functions import Coalesce

    from proposals.models import Expense, WorkDay
    from proposals.services.grants import GRANTED_STATES

    granted = Q(status__in=GRANTED_STATES)
    # a grant revoked in the sustainability period: built all the same (its completed
    # project stays on the map); its grant and expenses are no longer counted
    built = Q(status__in=(S.COMPLETED, S.SUSTAINABILITY, S.CLOSED)) | Q(
        status=S.REVOKED, sustainability_ends_on__isnull=False
    )
    assessed = Q(eligible_at__isnull=False)  # passed the formal check, withdrawn since or not
    area = Func(Transform("area", city.metric_srid), function="ST_Area", output_field=FloatField())
    proposals = Proposal.objects.filter(city=city)
    if public:
        proposals = proposals.filter(hidden_at__isnull=True)
    per_call = proposals.values("grant_call").annotate(
        published=Count("pk", filter=Q(published_at__isnull=False)),
        submitted=Count("pk", filter=Q(submitted_at__isnull=False)),
        supporters=Sum("support_count", filter=Q(published_at__isnull=False)),
        assessed=Count("pk", filter=assessed),
        granted=Count("pk", filter=granted),
        granted_sum=Sum("granted_amount", filter=granted),
        completed=Count("pk", filter=built),
        area_m2=Sum(area, filter=granted & Q(area__isnull=False)),
    )
    spent = (
        Expense.objects.filter(proposal__in=proposals, proposal__status__in=GRANTED_STATES)
        .values("proposal__grant_call")
        .annotate(total=Sum("amount"))
    )
    hours = ExpressionWrapper(
        F("people") * F("hours"), output_field=DecimalField(max_digits=14, decimal_places=1)
    )
    worked = (
        WorkDay.objects.filter(proposal__in=proposals)
        .values("proposal__grant_call")
        .annotate(total=Coalesce(Sum(hours), Decimal("0")))
    )
    # call_year reads the city's time zone; its boundary (thousands of vertices for a real
    # city) would only weigh down every cached copy of these figures (public_figures)
    calls = GrantCall.objects.filter(city=city).select_related("city").defer("city__boundary")
    rows = {
        call.pk: CallFigures(call=call, budget=call.total_budget)
        for call in calls.order_by("-opens_at", "-pk")
    }
    for found in per_call:
        row = rows[found.pop("grant_call")]
        for name, value in found.items():
            setattr(row, name, value or type(getattr(row, name))())
    for found in spent:
        rows[found["proposal__grant_call"]].spent = found["total"]
    for found in worked:
        rows[found["proposal__grant_call"]].volunteer_hours = found["total"]
    return list(rows.values()), figures_summed(rows.values())


def public_figures(*, city: City) -> tuple[list[CallFigures], CallFigures]:
    """programme_figures(public=True), kept in the cache: about 170 ms for a city of 100,000
    proposals (make bench-figures), and /figures/ sums every city's for anonymous visitors.
    The key is the city's change counters (kept by triggers in the writer's transaction) of
    every table the figures count: proposals (a status, a grant, a support, a hiding), calls,
    expenses and work days (migration proposals 0025). One read by primary key."""
    from django.conf import settings
    from django.core.cache import cache

    from geodata.exchange import data_stamps
    from proposals.models import Expense, WorkDay

    tables = [m._meta.db_table for m in (Proposal, GrantCall, Expense, WorkDay)]
    key = f"figures:{city.pk}:{data_stamps(city, tables)}"
    found = cache.get(key)
    if found is None:
        found = programme_figures(city=city, public=True)
        cache.set(key, found, settings.FIGURES_CACHE_SECONDS)
    return found


def figures_summed(rows) -> CallFigures:
    """The totals row of some calls' figures."""
    totals = CallFigures(call=None)
    figures = [f.name for f in dataclass_fields(CallFigures) if f.name != "call"]
    for row in rows:
        for name in figures:
            setattr(totals, name, getattr(totals, name) + getattr(row, name))
    return totals


def call_year(call: GrantCall) -> int:
    """The year a call opened, on its city's clock: the year its figures belong to."""
    import zoneinfo

    return call.opens_at.astimezone(zoneinfo.ZoneInfo(call.city.time_zone)).year


@dataclass
class CityFigures:
    city: City
    figures: CallFigures  # the city's totals
    calls: int  # calls run or announced


@dataclass
class NetworkFigures:
    """The programme across the deployment's cities, as the public sees it: each active
    city's totals (programme_figures, hidden proposals left out), the counts summed, and
    the money summed within each currency only (a złoty and a koruna do not add up)."""

    cities: list[CityFigures]
    totals: CallFigures  # its money fields are not used: see `money`
    money: dict[str, Decimal]  # currency -> granted
    calls: int
    year: int | None = None  # the calls opened in this year only; None: all
    years: list[int] = field(default_factory=list)  # the years any call opened, latest first


def figures_year(value: str | None) -> int | None:
    """The `year` asked of the network's figures: None for every year; ValueError for what
    is no year."""
    if value in (None, ""):
        return None
    if not (value.isdigit() and 2000 <= int(value) <= 2100):
        raise ValueError(value)
    return int(value)


def network_figures(*, year: int | None = None) -> NetworkFigures:
    """Every city's figures; with `year`, those of the calls opened in that year (on the
    city's clock), with everything their proposals have done since."""
    from mapapp.selectors import city_list

    rows, years = [], set()
    for city in city_list():
        calls, figures = public_figures(city=city)  # a row a call, and the totals
        years |= {call_year(row.call) for row in calls}
        if year is not None:
            calls = [row for row in calls if call_year(row.call) == year]
            figures = figures_summed(calls)
        rows.append(CityFigures(city, figures, len(calls)))
    totals, money = CallFigures(call=None), {}
    for row in rows:
        for name in ("published", "submitted", "supporters", "granted", "completed",
                     "volunteer_hours", "area_m2"):  # fmt: skip
            setattr(totals, name, getattr(totals, name) + getattr(row.figures, name))
        money[row.city.currency] = money.get(row.city.currency, Decimal("0")) + (
            row.figures.granted_sum
        )
    return NetworkFigures(cities=rows, totals=totals, money=money,
                          calls=sum(row.calls for row in rows), year=year,
                          years=sorted(years, reverse=True))  # fmt: skip
