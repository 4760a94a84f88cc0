"""manage.py backup [--output FILE] [--keep N]: the database and all uploaded files in one
archive; with --keep, only the newest N backups stay in the archive's folder."""

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mapapp.backup import BackupError, backup
from mapapp.jobs import ScheduledCommand

PREFIX = "wecreatespace-backup-"


class Command(ScheduledCommand, BaseCommand):
    help = "Write a consistent backup (database dump, uploaded files, manifest) as one .tar."

    def add_arguments(self, parser):
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        parser.add_argument("--output", default=f"{PREFIX}{stamp}.tar")
        parser.add_argument(
            "--keep",
            type=int,
            default=0,
            help=f"then delete all but the newest N {PREFIX}*.tar in the same folder (0: keep all)",
        )

    def run(self, *args, output, keep, **options):
        if keep < 0:
            raise CommandError("--keep: a number of backups, 0 or more.")
        try:
            path = backup(Path(output).resolve())
        except BackupError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"backup written: {path} ({path.stat().st_size // 1024} KB)")
        if keep:
            # by name: the default names sort by time; the new one is always kept
            older = sorted(p for p in path.parent.glob(f"{PREFIX}*.tar") if p != path)
            for old in older[: max(0, len(older) - (keep - 1))]:
                old.unlink()
                self.stdout.write(f"removed: {old.name}")
