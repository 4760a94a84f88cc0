#!/usr/bin/env bash
# nginx for bench/exchange.py, which runs deploy/nginx/wecreatespace.conf.in in front of
# gunicorn as a deployment does. Installs Debian's nginx-light when it is missing, without
# starting the system's nginx service (a policy-rc.d refuses it for the install's duration).
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then exit 0; fi
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else echo "[nginx] need root for: $*" >&2; return 1; fi
}
policy=/usr/sbin/policy-rc.d
created=0
if [ ! -e "$policy" ]; then
    as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod +x $policy"
    created=1
fi
cleanup() { if [ "$created" = 1 ]; then as_root rm -f "$policy"; fi; }
trap cleanup EXIT
if ! ls /var/lib/apt/lists/*Packages* >/dev/null 2>&1; then as_root apt-get update -q; fi
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx-light
