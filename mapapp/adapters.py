"""django-allauth adapted to this deployment."""

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request) -> str:
        """The address allauth's limits count (logins, failed logins, sign-ups, password
        resets): the client's, as our own rate limits see it. allauth alone reads the
        connection's address, which behind the deployment's nginx is nginx's own for every
        visitor, so five sign-ups an hour would have been the whole city's allowance."""
        from mapapp.ratelimit import client_address

        return client_address(request) or super().get_client_ip(request)
