from django.urls import path

from proposals.feeds import CityProposalsFeed
from proposals.views import alerts, applicant, committee, files, officer, public

app_name = "proposals"

# Mounted under /<city>/ (see mapapp/urls.py).
urlpatterns = [
    path("calls/", public.call_list, name="calls"),
    path("calls/<int:call_id>/", public.call_detail, name="call"),
    path("calls/calendar.ics", public.calls_calendar, name="calls-calendar"),
    path("calls/<int:call_id>/calendar.ics", public.call_calendar, name="call-calendar"),
    path("calls/<int:call_id>/results.csv", public.call_results_csv, name="call-results-csv"),
    path("proposals/", public.proposal_list, name="list"),
    path("proposals/feed/", CityProposalsFeed(), name="feed"),
    path("alerts/", alerts.alert_create, name="alert-create"),
    path("proposals/new/", applicant.proposal_start, name="start"),
    path("organisations/request/", applicant.organisation_request, name="organisation-request"),
    path("proposals/<int:pk>/", public.proposal_detail, name="detail"),
    path("proposals/<int:pk>/edit/", applicant.proposal_edit, name="edit"),
    path("proposals/<int:pk>/autosave/", applicant.proposal_autosave, name="autosave"),
    path("proposals/<int:pk>/support/", public.proposal_support, name="support"),
    path("proposals/<int:pk>/unsupport/", public.proposal_unsupport, name="unsupport"),
    path("proposals/<int:pk>/care/", public.proposal_care, name="care"),
    path("proposals/<int:pk>/follow/", public.proposal_follow, name="follow"),
    path("proposals/<int:pk>/unfollow/", public.proposal_unfollow, name="unfollow"),
    path("proposals/<int:pk>/stop-emails/<str:token>/", public.stop_emails, name="stop-emails"),
    path("proposals/<int:pk>/withdraw/", applicant.proposal_withdraw, name="withdraw"),
    path("proposals/<int:pk>/copy/", applicant.proposal_copy, name="copy"),
    path("proposals/<int:pk>/progress/", applicant.proposal_progress, name="progress"),
    path("proposals/<int:pk>/sheet/", applicant.proposal_sheet, name="sheet"),
    path("proposals/<int:pk>/poster/", public.proposal_poster, name="poster"),
    path(
        "proposals/<int:pk>/files/consent/",
        files.private_file,
        {"kind": "consent"},
        name="file-consent",
    ),
    path(
        "proposals/<int:pk>/files/agreement/",
        files.private_file,
        {"kind": "agreement"},
        name="file-agreement",
    ),
    path(
        "proposals/<int:pk>/files/receipt/<int:file_id>/",
        files.private_file,
        {"kind": "receipt"},
        name="file-receipt",
    ),
    path(
        "proposals/<int:pk>/files/care/<int:file_id>/",
        files.private_file,
        {"kind": "care"},
        name="file-care",
    ),
    path(
        "proposals/<int:pk>/files/sheet/<int:file_id>/",
        files.private_file,
        {"kind": "sheet"},
        name="file-sheet",
    ),
    path("committee/", committee.committee_home, name="committee"),
    path("committee/proposals/<int:pk>/", committee.committee_score, name="committee-score"),
    path("officer/", officer.officer_home, name="officer"),
    path("officer/audit/", officer.officer_audit, name="officer-audit"),
    path("officer/figures/", officer.officer_figures, name="officer-figures"),
    path("officer/organisations/", officer.officer_organisations, name="officer-organisations"),
    path("officer/criteria/", officer.officer_criteria, name="officer-criteria"),
    path("officer/calls/new/", officer.officer_call_new, name="officer-call-new"),
    path("officer/calls/<int:call_id>/", officer.officer_call, name="officer-call"),
    path("officer/calls/<int:call_id>/edit/", officer.officer_call_edit, name="officer-call-edit"),
    path(
        "officer/calls/<int:call_id>/criteria/",
        officer.officer_call_criteria,
        name="officer-call-criteria",
    ),
    path(
        "officer/calls/<int:call_id>/proposals.csv",
        officer.officer_call_csv,
        name="officer-call-csv",
    ),
    path(
        "officer/calls/<int:call_id>/expenses.csv",
        officer.officer_call_expenses_csv,
        name="officer-call-expenses-csv",
    ),
    path("officer/proposals/<int:pk>/", officer.officer_proposal, name="officer-proposal"),
]
