#!/usr/bin/env bash
# Installs what the project needs and skips what is already there:
#   1. system packages through apt-get (PostgreSQL + PostGIS unless DATABASE_URL is set,
#      the GDAL runtime GeoDjango loads, gettext for translations, and the tests' clients:
#      Chromium for browser tests, PyQGIS for the QGIS project; WITH_BROWSER=0 skips them);
#   2. a .venv with the project installed editable, with its dev extra.
# Safe to run again: the apt step is skipped when every package is installed, the pip step
# when pyproject.toml has not changed since the last install.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
WITH_BROWSER=${WITH_BROWSER:-1}

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else echo "[setup] need root for: $*  (install sudo or run as root)" >&2; return 1; fi
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# PostgreSQL 15 is what we target (Debian 12); elsewhere take the distribution's major version.
pg_packages() {
    local v=""
    for cand in 15 16 17 18; do
        if installed "postgresql-$cand-postgis-3"; then v=$cand; break; fi
    done
    if [ -z "$v" ]; then
        for cand in 15 17 16 18; do
            if apt-cache show "postgresql-$cand-postgis-3" >/dev/null 2>&1; then v=$cand; break; fi
        done
    fi
    [ -n "$v" ] || v=15
    echo "postgresql-$v postgresql-$v-postgis-3 postgresql-client-$v"
}

system_packages() {
    if ! command -v apt-get >/dev/null 2>&1; then
        cat >&2 <<MSG
[setup] apt-get is not available on this machine. Install by hand:
  - PostgreSQL 15+ with PostGIS 3 (or set DATABASE_URL=postgis://user:pass@host:port/db
    to use an existing PostGIS server),
  - the GDAL and GEOS shared libraries (GeoDjango loads them) and gdal-bin (ogrinfo/ogr2ogr),
  - gettext (msgfmt), age (encrypted backup copies), and Chromium for the browser tests,
then run this again.
MSG
        return 0
    fi
    # age encrypts the backup copies that leave the machine (manage.py backup)
    local want="gdal-bin libgdal-dev binutils libproj-dev gettext ca-certificates age"
    # the tests' tools: Chromium for the browser tests, systemd-analyze for deploy/systemd,
    # PyQGIS to open the QGIS project the way QGIS does (tests/geodata/test_qgis_project.py)
    [ "$WITH_BROWSER" = 1 ] && want="$want chromium fonts-dejavu-core systemd python3-qgis"
    python3 -c 'import venv, ensurepip' 2>/dev/null || want="$want python3-venv"
    if [ -z "${DATABASE_URL:-}" ]; then
        # apt-cache needs package lists; on a fresh machine they may be empty.
        if ! ls /var/lib/apt/lists/*Packages* >/dev/null 2>&1; then as_root apt-get update -q; fi
        want="$want $(pg_packages)"
    fi
    local missing=()
    for p in $want; do installed "$p" || missing+=("$p"); done
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing system packages: ${missing[*]}"
        as_root apt-get update -q
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
}

python_env() {
    local py=${PYTHON:-python3}
    if ! "$py" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else 1)'; then
        echo "[setup] Python 3.11 or newer is needed; set PYTHON=/path/to/python3.11" >&2
        exit 1
    fi
    [ -x .venv/bin/python ] || { say "creating .venv"; "$py" -m venv .venv; }
    # exact versions from constraints.txt (make lock), within pyproject.toml's ranges
    local stamp=.venv/.installed-$(cat pyproject.toml constraints.txt | sha1sum | cut -c1-12)
    if [ ! -f "$stamp" ]; then
        say "installing Python dependencies into .venv"
        .venv/bin/python -m pip install -q --upgrade pip
        .venv/bin/python -m pip install -q -c constraints.txt -e ".[dev]"
        rm -f .venv/.installed-*
        touch "$stamp"
    fi
}

system_packages
python_env
