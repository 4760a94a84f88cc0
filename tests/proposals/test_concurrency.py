"""Many supports and submissions at once, from several processes, against the real database:
every request answered with success is in the database, and nothing is in it twice."""

import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import pytest
import requests
from django.test import Client

from mapapp.models import AuditEvent
from proposals.models import Proposal, Support
from tests.proposals.conftest import make_user
from tests.support import database_url

pytestmark = pytest.mark.django_db(transaction=True)


def _support(args):
    """One resident in their own process: open the form, wait for the common start, post."""
    base, url, session_id, name, start = args
    http = requests.Session()
    http.cookies.set("sessionid", session_id)
    page = http.get(base + url, timeout=60)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    time.sleep(max(0.0, start - time.time()))
    answer = http.post(
        base + url,
        data={"csrfmiddlewaretoken": token, "full_name": name,
              "address": f"{name} Street 1, Koszalin", "age_confirmed": "on"},
        headers={"Referer": base + url}, allow_redirects=False, timeout=60,
    )  # fmt: skip
    return name, answer.status_code


def test_simultaneous_supports_are_all_counted_once(live_server, collecting, koszalin):
    people = [make_user(f"crowd{i}@example.org", city=koszalin) for i in range(12)]
    sessions = []
    for person in people:
        client = Client()
        client.force_login(person)
        sessions.append(client.cookies["sessionid"].value)
    url = f"/koszalin/proposals/{collecting.pk}/support/"
    start = time.time() + 3
    # every person twice, from two processes at the same moment: one may succeed
    jobs = [(live_server.url, url, s, f"Person {i}", start) for i, s in enumerate(sessions)] * 2
    with ProcessPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(_support, jobs))
    succeeded = [name for name, status in answers if status == 302]
    assert all(status in (302, 400) for _name, status in answers), answers
    stored = list(Support.objects.filter(proposal=collecting).values_list("full_name", flat=True))
    assert sorted(stored) == sorted(succeeded)  # answered with success <=> stored
    assert len(stored) == len(set(stored)) == 12  # everyone once, nobody twice
    assert Proposal.objects.get(pk=collecting.pk).support_count == 12


SUBMIT = """
import json, os, sys, time
import django
django.setup()
from django.core.exceptions import ValidationError
from proposals.models import Proposal
from proposals.services.drafting import proposal_submit
from mapapp.models import User
proposal = Proposal.objects.get(pk=int(sys.argv[1]))
author = User.objects.get(pk=proposal.author_id)
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
try:
    proposal_submit(actor=author, proposal=proposal)
    print(json.dumps({"ok": True}))
except ValidationError as exc:
    print(json.dumps({"ok": False, "why": exc.messages}))
"""


def test_simultaneous_submissions_submit_once(collecting, supporters):
    from tests.proposals.conftest import add_supporters

    add_supporters(collecting, supporters[:15])
    env = {**os.environ, "DATABASE_URL": database_url()}
    start = str(time.time() + 4)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SUBMIT, str(collecting.pk), start],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(6)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sum(r["ok"] for r in results) == 1  # exactly one wins; the others are told why
    assert all(r["why"] for r in results if not r["ok"])
    assert Proposal.objects.get(pk=collecting.pk).status == "submitted"
    transitions = AuditEvent.objects.filter(
        object_id=str(collecting.pk), action__contains="submit"
    ).count()
    assert transitions == 1
