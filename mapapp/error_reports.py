"""Errors e-mailed to the deployment's maintainers (`ERROR_EMAILS`), without the personal data
a request carries, and not a storm of them.

A server error (500), a background job's failure or a stored file gone is logged at ERROR;
the maintainers learned of it only by reading the journal. Django's own error mail (ADMINS)
writes what the person sent (a supporter's name and address, an applicant's phone), their
cookies, address and e-mail into the message: so here every POST value, file name and cookie
is replaced with stars, the request's META keeps the few keys that say what was asked
(method, path, host, language, browser), and the person is named by account number only. The
traceback and the page's address stay: what a maintainer needs to reproduce it. The text of
the exception itself is kept (a database error may quote a value).

One place of failure (the exception's type and the line it was raised on) is mailed at most
once per ERROR_MAIL_SECONDS, counted across the web workers through the default cache: a
broken page hit a thousand times is one e-mail, not a thousand."""

from __future__ import annotations

import hashlib
import logging
import traceback

from django.conf import settings
from django.utils.log import AdminEmailHandler
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

# what a report keeps of request.META: enough to reproduce the request, nothing of the person
META_KEPT = frozenset({
    "REQUEST_METHOD", "PATH_INFO", "SCRIPT_NAME", "SERVER_NAME", "SERVER_PORT", "HTTP_HOST",
    "CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE", "HTTP_USER_AGENT",
    "wsgi.url_scheme",
})  # fmt: skip


class PrivateExceptionReporterFilter(SafeExceptionReporterFilter):
    """Settings cleansed as Django does; and, with DEBUG off, every POST value and cookie
    replaced with stars and META cut to META_KEPT."""

    def get_post_parameters(self, request):
        if request is None or not self.is_active(request):
            return super().get_post_parameters(request)
        return dict.fromkeys(request.POST, self.cleansed_substitute)

    def get_safe_cookies(self, request):
        if not self.is_active(request):
            return super().get_safe_cookies(request)
        return dict.fromkeys(getattr(request, "COOKIES", {}), self.cleansed_substitute)

    def get_safe_request_meta(self, request):
        if not self.is_active(request):
            return super().get_safe_request_meta(request)
        meta = getattr(request, "META", {})
        return {key: value for key, value in meta.items() if key in META_KEPT}


class PrivateExceptionReporter(ExceptionReporter):
    """Names the person by account number (Django writes their e-mail, the user's str) and
    uploaded files by their field."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if self.filter.is_active(self.request) and self.request is not None:
            if "user_str" in data:
                user = getattr(self.request, "user", None)
                known = user is not None and getattr(user, "is_authenticated", False)
                data["user_str"] = f"account #{user.pk}" if known else "anonymous"
            if "request_FILES_items" in data:
                data["request_FILES_items"] = [
                    (key, "[a file]") for key, _value in data["request_FILES_items"]
                ]
        return data


def _place(record: logging.LogRecord) -> str:
    """Where it failed: the raising line and the exception's type when there is one (every
    500 is logged from the same line of Django), else the logging call and its message."""
    if record.exc_info and record.exc_info[1] is not None:
        frames = traceback.extract_tb(record.exc_info[2])
        where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
        return f"{record.exc_info[0].__qualname__}@{where}"
    return f"{record.pathname}:{record.lineno}:{record.msg}"


class ErrorMailHandler(AdminEmailHandler):
    """AdminEmailHandler with the private reporter, in plain text, at most one e-mail per
    place of failure per ERROR_MAIL_SECONDS. Nothing is sent without ERROR_EMAILS."""

    def __init__(self, **kwargs):
        kwargs.setdefault("reporter_class", "mapapp.error_reports.PrivateExceptionReporter")
        super().__init__(include_html=False, **kwargs)

    def emit(self, record):  # called under the handler's lock: one record at a time
        if not settings.ADMINS or not self._first_in_a_while(record):
            return
        exc = record.exc_info[0] if record.exc_info else None
        self._exception_name = exc.__name__ if exc else ""
        super().emit(record)

    def format_subject(self, subject):
        """Django's subject ("ERROR (EXTERNAL IP): Internal Server Error: /path/") and the
        exception's type: two 500s on one page may be two faults."""
        name = getattr(self, "_exception_name", "")
        return super().format_subject(f"{subject} [{name}]" if name else subject)

    @staticmethod
    def _first_in_a_while(record) -> bool:
        from django.core.cache import caches

        digest = hashlib.sha256(_place(record).encode()).hexdigest()[:32]
        try:
            return caches["default"].add(f"error-mail:{digest}", 1, settings.ERROR_MAIL_SECONDS)
        except Exception:  # the cache is down (the database, in production): send it
            return True
