"""Small request helpers the portal's apps share."""

from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def redirect_back(request, default):
    """After a POST action: back to the page it came from (`next`, same host only), else `default`.

    Checking the host keeps a crafted `next` from turning an action into an open redirect.
    """
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)
