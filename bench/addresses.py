"""Benchmark: reading an address register's file as published, the PRG's GML of the 2021
model (geodata.prg.read: points, places and streets joined by their references, positions
in the srsName's axis order), against GDAL reading the same file's points alone (pyogrio,
the GML driver: no joins, references left as text), the floor any reader of this GML has.

Run with `make bench-addresses` (BENCH_ARGS="--points 150000 --rounds 5"). It writes a
synthetic file of `--points` address points in Koszalin (forty a street, places and
streets after the points, as the register's files may order them), then times both sides
in shuffled, interleaved rounds, and measures each side's peak memory in a fresh process
(the maximum resident set size, GDAL's own allocations included). No database is used.

It prints medians, the ratio and the memory, and writes bench/results/addresses.json.
Compare ratios from one run, not absolute times across runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script (make bench-addresses): the project's packages

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mapapp.settings")

# Koszalin's extent in EPSG:2180, easting and northing
EAST, NORTH, SPAN = 364000.0, 700000.0, 9000.0


def write_file(path: Path, points: int, seed: int) -> None:
    """A PRG 2021 model GML of `points` address points, their streets and place after them."""
    rnd = random.Random(seed)
    streets = max(1, points // 40)
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<gml:FeatureCollection '
            'xmlns:gml="http://www.opengis.net/gml/3.2" '
            'xmlns:xlink="http://www.w3.org/1999/xlink" '
            'xmlns:prgad="https://geoportal.gov.pl/schemas/prgad/1.0">\n'
        )
        for n in range(points):
            east, north = EAST + rnd.random() * SPAN, NORTH + rnd.random() * SPAN
            out.write(
                f'<gml:featureMember><prgad:AD_PunktAdresowy gml:id="p{n}"><prgad:idIIP>'
                f"<prgad:AD_IdentyfikatorIIP><prgad:lokalnyId>{n:08d}</prgad:lokalnyId>"
                "</prgad:AD_IdentyfikatorIIP></prgad:idIIP>"
                f"<prgad:numerPorzadkowy>{rnd.randint(1, 250)}</prgad:numerPorzadkowy>"
                '<prgad:georeferencja><gml:Point srsName="EPSG:2180" srsDimension="2">'
                f"<gml:pos>{east:.2f} {north:.2f}</gml:pos></gml:Point></prgad:georeferencja>"
                f"<prgad:kodPocztowy>75-{rnd.randint(0, 999):03d}</prgad:kodPocztowy>"
                '<prgad:miejscowosc xlink:href="#k"/>'
                f'<prgad:ulica2 xlink:href="#s{rnd.randrange(streets)}"/>'
                "</prgad:AD_PunktAdresowy></gml:featureMember>\n"
            )
        for s in range(streets):
            out.write(
                f'<gml:featureMember><prgad:AD_UlicaPlac gml:id="s{s}"><prgad:nazwaPelna>'
                f"Ulica {s}</prgad:nazwaPelna></prgad:AD_UlicaPlac></gml:featureMember>\n"
            )
        out.write(
            '<gml:featureMember><prgad:AD_Miejscowosc gml:id="k"><prgad:nazwa>Koszalin'
            "</prgad:nazwa></prgad:AD_Miejscowosc></gml:featureMember>\n"
            "</gml:FeatureCollection>\n"
        )


def read_ours(path: Path) -> int:
    from geodata import prg

    return len(prg.read(path).frame)


def read_gdal(path: Path) -> int:
    import pyogrio

    return len(pyogrio.read_dataframe(path, layer="AD_PunktAdresowy"))


SIDES = {"ours": read_ours, "gdal": read_gdal}


def _status_kb(field: str) -> int:
    """This process's resident memory now (VmRSS) or at its peak (VmHWM), in kB. Not
    getrusage's ru_maxrss: a child inherits its parent's at fork."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def peak_memory(side: str, path: Path) -> float:
    """The side's peak resident memory (MB), reading the file once in a fresh process."""
    done = subprocess.run(
        [sys.executable, __file__, "--memory-of", side, str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=60000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--memory-of", nargs=2, metavar=("SIDE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_of:  # a child of peak_memory
        side, path = args.memory_of
        before = _status_kb("VmRSS")
        SIDES[side](Path(path))
        print(round((_status_kb("VmHWM") - before) / 1024, 1))
        return

    from bench.common import interleaved, write_report

    with tempfile.TemporaryDirectory(prefix="bench-addresses-") as folder:
        path = Path(folder) / "PRG_punkty_adresowe.gml"
        write_file(path, args.points, args.seed)
        counts = {side: fn(path) for side, fn in SIDES.items()}
        assert counts["ours"] == counts["gdal"] == args.points, counts

        def timed(fn):
            def run(_case) -> float:
                start = time.perf_counter()
                fn(path)
                return (time.perf_counter() - start) * 1000

            return run

        times = interleaved({"read": None}, {s: timed(fn) for s, fn in SIDES.items()},
                            rounds=args.rounds, seed=args.seed)["read"]  # fmt: skip
        medians = {side: statistics.median(ms) for side, ms in times.items()}
        memory = {side: peak_memory(side, path) for side in SIDES}
        write_report(
            "addresses",
            {
                "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
                "points": args.points,
                "file_mb": round(path.stat().st_size / 1024**2, 1),
                "rounds": args.rounds,
                "median_ms": {side: round(ms, 1) for side, ms in medians.items()},
                "ours_vs_gdal": round(medians["ours"] / medians["gdal"], 2),
                "points_per_second": round(args.points / medians["ours"] * 1000),
                "peak_memory_growth_mb": memory,
            },
        )


if __name__ == "__main__":
    main()
