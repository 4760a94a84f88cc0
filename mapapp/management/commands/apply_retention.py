"""manage.py apply_retention [--dry-run]: erase personal data whose time is up.

Supporters' names and addresses, and scanned signature sheets, SUPPORTER_DATA_RETENTION_DAYS
after their call's final decision; landowner consent documents and applicants' phone numbers
after the sustainability period (or, for proposals never granted, the same retention time
after their decision or their call's final one); with WORKS_RECORDS_KEEP_YEARS set, a
project's receipts and maintenance reports' texts that many full calendar years after the
year its sustainability period ended (or its grant was revoked); with AUDIT_ACTORS_KEEP_YEARS
set, who did what in the audit log that many full calendar years after the year of the event;
the contact details an Open311 application sent with a site report the same retention time
after it. Every erasure is in the audit log.

It also removes background exports' files EXPORT_KEEP_DAYS after they were written,
officers' uploads of past projects and large layer uploads a day after, when their import
never finished (or IMPORT_RERUN_KEEP_DAYS after it failed, when they were kept to run
it again), photos kept from a refused form a day after (mapapp.held_uploads), rate-limit
counters (they name client addresses) once their window has ended, expired sessions, the
task queue's finished records after TASK_RESULTS_KEEP_DAYS, and accounts whose address was
never confirmed UNCONFIRMED_ACCOUNT_DAYS after sign-up.
Run it daily (cron or a systemd timer)."""

from django.core.management.base import BaseCommand

from geodata.export_jobs import export_files_expire
from geodata.import_jobs import import_files_expire
from mapapp.held_uploads import held_uploads_expire
from mapapp.jobs import ScheduledCommand
from mapapp.privacy import apply_retention, expire_records
from sites.project_imports import project_import_files_expire


class Command(ScheduledCommand, BaseCommand):
    help = (
        "Erase supporters' data and consent documents whose retention time is over, and "
        "remove old export files, rate-limit counters, sessions and task records."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only say what is due")

    def partial(self, options) -> bool:
        return bool(options.get("dry_run"))

    def run(self, *args, dry_run=False, **options):
        result = apply_retention(dry_run=dry_run)
        exports = export_files_expire(dry_run=dry_run)
        uploads = project_import_files_expire(dry_run=dry_run)
        uploads += import_files_expire(dry_run=dry_run)
        held = held_uploads_expire(dry_run=dry_run)
        records = expire_records(dry_run=dry_run)
        verb = "due" if dry_run else "erased"
        self.stdout.write(
            f"{verb}: {result['supports']} supporters' details in calls {result['calls']}, "
            f"{result['signature_sheets']} signature sheets, "
            f"{result['consent_documents']} consent documents, "
            f"{result['contact_phones']} applicants' phone numbers, "
            f"{result['care_notices']} notices to maintainers, "
            f"{result['follows']} follows of proposals not granted, "
            f"{result['receipts']} receipts, {result['agreements']} signed agreements, "
            f"{result['maintenance_reports']} maintenance reports' texts, "
            f"{result['open311_contacts']} Open311 reporters' contact details, "
            f"{result['audit_actors']} audit events' actors, "
            f"{exports} export files, "
            f"{uploads} unfinished imports' uploads, "
            f"{held} photos kept from refused forms, "
            f"{result['rate_counts']} rate-limit counters, {records['sessions']} expired "
            f"sessions, {records['task_results']} finished task records, "
            f"{records['outgoing_mails']} unsent e-mails, "
            f"{records['unconfirmed_accounts']} accounts never confirmed"
        )
