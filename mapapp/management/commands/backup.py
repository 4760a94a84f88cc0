"""manage.py backup [--output FILE] [--keep N] [--no-copy]: the database and all uploaded
files in one archive; with --keep, only the newest N backups stay in the archive's folder.
Then, when the settings name a destination (BACKUP_COPY_DIR, BACKUP_COPY_COMMAND), an
encrypted copy leaves the machine (mapapp.backup.copy_off_machine)."""

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mapapp.backup import PREFIX, BackupError, backup, copy_off_machine, prune
from mapapp.jobs import ScheduledCommand


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
        parser.add_argument(
            "--no-copy",
            action="store_true",
            help="do not send the encrypted copy off the machine, even when it is configured",
        )

    def partial(self, options) -> bool:
        # a backup kept here while a copy is due elsewhere is not the nightly job done
        from django.conf import settings

        configured = settings.BACKUP_COPY_DIR or settings.BACKUP_COPY_COMMAND
        return bool(options["no_copy"] and configured)

    def run(self, *args, output, keep, no_copy, **options):
        if keep < 0:
            raise CommandError("--keep: a number of backups, 0 or more.")
        try:
            path = backup(Path(output).resolve())
        except BackupError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"backup written: {path} ({path.stat().st_size // 1024} KB)")
        if keep:
            for old in prune(path.parent, "*.tar", keep, path):
                self.stdout.write(f"removed: {old.name}")
        if not no_copy:
            try:
                for where in copy_off_machine(path):
                    self.stdout.write(f"encrypted copy sent: {where}")
            except BackupError as e:  # the local backup stands; the job is still failed
                raise CommandError(f"{path.name} is written, but its copy is not: {e}") from e
