"""manage.py backup [--output FILE]: the database and all uploaded files in one archive."""

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mapapp.backup import BackupError, backup


class Command(BaseCommand):
    help = "Write a consistent backup (database dump, uploaded files, manifest) as one .tar."

    def add_arguments(self, parser):
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        parser.add_argument("--output", default=f"wecreatespace-backup-{stamp}.tar")

    def handle(self, *args, output, **options):
        try:
            path = backup(Path(output).resolve())
        except BackupError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"backup written: {path} ({path.stat().st_size // 1024} KB)")
