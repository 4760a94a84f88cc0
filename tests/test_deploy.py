"""The deployment's files (deploy/): rendered with real values, systemd accepts every unit,
each names programs that exist and manage.py commands the project has, the timers start
existing services, and nginx's upstream is gunicorn's socket."""

import re
import shlex
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def render(text: str, values: dict) -> str:
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    return text


def units(tmp_path) -> dict[str, Path]:
    env = tmp_path / "env"
    env.write_text("DJANGO_ENV=production\n")
    values = {
        "ROOT": str(ROOT), "USER": "root", "GROUP": "root", "ENV_FILE": str(env),
        "MEDIA_ROOT": str(tmp_path), "PRIVATE_MEDIA_ROOT": str(tmp_path),
        "BACKUP_DIR": str(tmp_path),
    }  # fmt: skip
    documented = set(re.findall(r"`@([A-Z_]+)@`", (DEPLOY / "README.md").read_text()))
    out = {}
    for source in sorted((DEPLOY / "systemd").glob("*.in")):
        text = source.read_text()
        assert set(re.findall(r"@([A-Z_]+)@", text)) <= documented, source.name
        path = tmp_path / source.name.removesuffix(".in")
        path.write_text(render(text, values))
        out[path.name] = path
    return out


def entries(path: Path, key: str) -> list[str]:
    """Every value of `key` in a unit file (systemd lets ExecStart= repeat, which
    configparser does not)."""
    found = []
    for line in path.read_text().splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and name == key and not line.lstrip().startswith("#"):
            found.append(value)
    return found


def test_systemd_accepts_every_unit(tmp_path):
    found = units(tmp_path)
    assert {"wecreatespace-web.service", "wecreatespace-worker.service",
            "wecreatespace-daily.service", "wecreatespace-daily.timer"} <= set(found)  # fmt: skip
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *map(str, found.values())],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_units_run_programs_and_commands_that_exist(tmp_path):
    from django.core.management import get_commands

    commands = set(get_commands())
    found = units(tmp_path)
    for name, path in found.items():
        if name.endswith(".timer"):
            assert (tmp_path / name.replace(".timer", ".service")).exists(), name
            continue
        for line in entries(path, "ExecStart"):
            argv = shlex.split(line.lstrip("-@:+!"))  # systemd's prefixes ("-": may fail)
            assert Path(argv[0]).is_file(), (name, argv[0])
            if argv[1:2] == [str(ROOT / "manage.py")]:
                assert argv[2] in commands, (name, argv[2])
            if argv[0].endswith("gunicorn"):
                module, _, attr = argv[1].partition(":")
                assert (ROOT / (module.replace(".", "/") + ".py")).is_file() and attr


def test_nginx_sends_requests_to_gunicorns_socket(tmp_path):
    web = units(tmp_path)["wecreatespace-web.service"]
    [start] = entries(web, "ExecStart")
    argv = shlex.split(start)
    socket = argv[argv.index("--bind") + 1]
    nginx = (DEPLOY / "nginx" / "wecreatespace.conf.in").read_text()
    assert f"@UPSTREAM@|{socket}|" in nginx  # the example in the file's own instructions
    assert socket.removeprefix("unix:").startswith("/run/wecreatespace/")
    assert "RuntimeDirectory=wecreatespace" in web.read_text()
