"""Stored analyses: the planners' analysis is computed once per city, set of parameters and
state of the data, and read from then on by the dashboard, its map, its downloads and the JSON.

A stored analysis is fresh while its stamp (the city's change counters for proposals, sites,
interventions, layers and features, and the city's own last change) is the current one. When
it is not:
- a city with few places (ANALYSIS_SYNC_PLACES) has it computed there and then (well under a
  second);
- a larger city gets a refresh queued for the task worker (the `refresh_analysis` task), and
  meanwhile the last result, marked as stale with its date, or a page saying it is being
  computed. One refresh at a time per city and parameters: a refresh asked while one is
  queued or running joins it, unless that one has been silent for ANALYSIS_STUCK_SECONDS
  (its worker died).
The stamp is read before computing, so a change made during the computation leaves the result
stale, and the next reader asks again. A computation that failed is not tried again on the
same data unless a planner or officer asks (the dashboard shows them the error).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, JSONField, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from geodata.analysis import Params, analyse, places_count
from geodata.models import AnalysisResult
from mapapp.models import City

logger = logging.getLogger(__name__)

# Bump when the method changes what it computes: stored results are then computed again.
METHOD_VERSION = 2
STAMPED = ("proposals_proposal", "sites_site", "sites_intervention", "geodata_layer",
           "geodata_feature")  # fmt: skip


def params_of(p: Params) -> dict:
    return {
        "call": p.call_id,
        "from": p.date_from.isoformat() if p.date_from else None,
        "to": p.date_to.isoformat() if p.date_to else None,
        "min_green_m2": p.min_green_m2,
        "deficit_m": p.deficit_m,
        "action_m": p.action_m,
        "cluster_m": p.cluster_m,
        "cluster_min": p.cluster_min,
    }


def params_from(city: City, stored: dict) -> Params:
    return Params(
        city=city,
        call_id=stored["call"],
        date_from=date.fromisoformat(stored["from"]) if stored["from"] else None,
        date_to=date.fromisoformat(stored["to"]) if stored["to"] else None,
        min_green_m2=stored["min_green_m2"],
        deficit_m=stored["deficit_m"],
        action_m=stored["action_m"],
        cluster_m=stored["cluster_m"],
        cluster_min=stored["cluster_min"],
    )


def params_key(p: Params) -> str:
    text = json.dumps({"method": METHOD_VERSION, **params_of(p)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def analysis_stamp(city: City) -> str:
    """The state of everything the analysis reads for the city, as one text."""
    from geodata.exchange import data_stamps

    counters = data_stamps(city, STAMPED)
    city_changed = City.objects.filter(pk=city.pk).values_list("updated_at", flat=True).first()
    return f"{counters};city:{city_changed.isoformat() if city_changed else ''}"


def is_fresh(row: AnalysisResult, stamp: str) -> bool:
    return row.computed_at is not None and row.stamp == stamp  # computed_at: stored with data


def analysis_result_get(p: Params) -> AnalysisResult:
    """The stored analysis for these parameters, as it is (a new, empty one the first time).
    Its `data` is read when first used; analysis_data reads it without the distances."""
    row, _created = AnalysisResult.objects.defer("data").get_or_create(
        city=p.city, key=params_key(p), defaults={"params": params_of(p)}
    )
    return row


def analysis_data(row: AnalysisResult, *, distances: bool = True) -> dict | None:
    """The stored result (None before the first), without the distance of every place
    unless `distances` (they are the bulk of it: 11 MB of 11.1 MB at 100,000 places, which
    the dashboard and its map do not show)."""
    if distances:
        return row.data
    return (
        AnalysisResult.objects.filter(pk=row.pk)
        .annotate(light=RawSQL("data #- '{green,distances}'", [], output_field=JSONField()))
        .values_list("light", flat=True)
        .get()
    )


def analysis_current(
    p: Params, *, allow: Callable[[], bool] = lambda: True
) -> tuple[AnalysisResult, bool]:
    """The stored analysis for these parameters and whether it is fresh: computed now when
    that is cheap, else refreshed in the background (the stale result, if any, meanwhile).
    `allow` is asked before any computation is started or queued (the caller's rate limit):
    when it says no, the stored result is returned as it is."""
    row = analysis_result_get(p)
    stamp = analysis_stamp(p.city)
    if is_fresh(row, stamp):
        return row, True
    if row.state == AnalysisResult.State.FAILED and row.tried_stamp == stamp:
        return row, False  # it failed on these very data: an analyst may ask again
    if not allow():
        return row, False
    if places_count(p.city) <= settings.ANALYSIS_SYNC_PLACES:
        try:
            row = analysis_compute(row)
        except Exception:  # recorded on the row; the page says so
            logger.exception("the analysis of %s failed", p.city.slug)
            row.refresh_from_db()
            return row, False
        return row, is_fresh(row, analysis_stamp(p.city))
    analysis_refresh_request(row)
    row.refresh_from_db()
    return row, False


def analysis_refresh_request(row: AnalysisResult) -> bool:
    """Queue a refresh of a stored analysis, unless one is already queued or running (and
    not silent for ANALYSIS_STUCK_SECONDS). True when this call queued it."""
    from geodata.tasks import refresh_analysis

    now = timezone.now()
    stuck = now - timedelta(seconds=settings.ANALYSIS_STUCK_SECONDS)
    idle = Q(state__in=[AnalysisResult.State.DONE, AnalysisResult.State.FAILED])
    queued = AnalysisResult.objects.filter(pk=row.pk).filter(
        idle | Q(requested_at__isnull=True) | Q(requested_at__lt=stuck)
    )
    if not queued.update(state=AnalysisResult.State.QUEUED, requested_at=now, error=""):
        return False
    transaction.on_commit(lambda: refresh_analysis.enqueue(row.pk))
    return True


def analysis_compute(row: AnalysisResult) -> AnalysisResult:
    """Compute a stored analysis now and keep it (with the stamp read before starting)."""
    rows = AnalysisResult.objects.filter(pk=row.pk)
    stamp = analysis_stamp(row.city)
    rows.update(state=AnalysisResult.State.RUNNING, requested_at=timezone.now(), tried_stamp=stamp)
    start = time.perf_counter()
    try:
        data = analyse(params_from(row.city, row.params)).as_dict()
    except Exception as exc:
        rows.update(state=AnalysisResult.State.FAILED, error=f"{type(exc).__name__}: {exc}")
        raise
    rows.update(
        state=AnalysisResult.State.DONE,
        data=data,
        stamp=stamp,
        error="",
        computed_at=timezone.now(),
        seconds=round(time.perf_counter() - start, 3),
    )
    row.refresh_from_db()
    _prune(row.city)
    return row


def _prune(city: City) -> None:
    """Keep the ANALYSIS_KEEP most recently asked analyses of the city, and always the one
    with the default parameters (each other set of parameters asked for is a stored row)."""
    newest = AnalysisResult.objects.filter(city=city).order_by(
        F("requested_at").desc(nulls_last=True), "-pk"
    )
    keep = list(newest.values_list("pk", flat=True)[: settings.ANALYSIS_KEEP])
    AnalysisResult.objects.filter(city=city).exclude(pk__in=keep).exclude(
        key=params_key(Params(city=city))
    ).delete()
