"""Small helpers of request handling that several apps share."""

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def next_on_site(request: HttpRequest, default: str) -> str:
    """The `next` the form posted (or the link carried) when it stays on this site, else
    `default`: a crafted link never sends people elsewhere (no open redirect)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return default
