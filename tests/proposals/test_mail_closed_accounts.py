"""No e-mail goes to a closed account: one its owner deleted (its address is then a
placeholder that cannot receive mail) or one an administrator deactivated. Addresses that
are no account's, such as an Open311 reporter's, still get theirs."""

import pytest

from mapapp.tasks import mail
from tests.proposals.conftest import make_user

pytestmark = pytest.mark.django_db


def test_a_deleted_authors_proposal_changes_without_mailing_the_placeholder(submitted, mailoutbox):
    from mapapp.privacy import account_delete
    from proposals.services.common import notify_applicant

    author = submitted.author
    notify_applicant(submitted.pk)
    assert [m.to for m in mailoutbox] == [[author.email]]
    account_delete(user=author)
    author.refresh_from_db()
    notify_applicant(submitted.pk, note="The committee's feedback.")
    assert len(mailoutbox) == 1 and author.email.endswith("@deleted.invalid")


def test_deactivated_accounts_are_left_out_and_other_addresses_kept(koszalin, mailoutbox):
    active = make_user("ala@example.org", city=koszalin)
    closed = make_user("ola@example.org", city=koszalin)
    closed.is_active = False
    closed.save(update_fields=["is_active"])
    mail("S", "B", [active.email, closed.email, "reporter@example.net"])
    assert [m.to for m in mailoutbox] == [["ala@example.org", "reporter@example.net"]]
    mail("S", "B", [closed.email])
    assert len(mailoutbox) == 1  # nobody left: nothing sent
