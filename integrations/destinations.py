"""Where a webhook may be sent: never into the board's own network unless a setting says so.

The rule. A webhook URL must lead to public addresses. Loopback (127.0.0.0/8, ::1), private
(10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16 with the cloud metadata service,
fe80::/10), shared, reserved, multicast and unspecified addresses are refused, when the endpoint is
created and again at every attempt, after DNS resolution (a name may resolve elsewhere later).
HR systems on the company's own network are a real case: they are let through only by name in
WEBHOOK_ALLOWED_HOSTS or by address in WEBHOOK_ALLOWED_NETWORKS.

An attempt connects to the very address that was checked (see `pinned_opener`), so a name that
resolves to a public address for the check and to an internal one for the connection (DNS
rebinding) cannot slip through between the two.
"""

import ipaddress
import socket
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings

METADATA_HOSTS = frozenset({"metadata", "metadata.google.internal", "metadata.goog", "instance-data"})


class DestinationRefused(Exception):
    """The address may not receive webhooks; the message says why, for HR."""


def _allowed_networks():
    networks = []
    for item in settings.WEBHOOK_ALLOWED_NETWORKS:
        networks.append(ipaddress.ip_network(item, strict=False))
    return networks


def _allowed_hosts():
    return {host.strip().lower().rstrip(".") for host in settings.WEBHOOK_ALLOWED_HOSTS if host.strip()}


def _address_problem(ip, networks):
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in networks if network.version == ip.version):
        return None
    if not ip.is_global or ip.is_multicast:
        return (
            f"{ip} is a loopback, private, link-local or otherwise internal address; webhooks go to public "
            "addresses only (an HR system on the company network needs WEBHOOK_ALLOWED_HOSTS or WEBHOOK_ALLOWED_NETWORKS)."
        )
    return None


def resolve_destination(url, *, require_resolution=True):
    """The addresses `url` may be sent to, after the rule in this module's docstring.

    Raises DestinationRefused naming the reason. A host listed in WEBHOOK_ALLOWED_HOSTS is resolved
    but not checked. With `require_resolution=False` (creating an endpoint whose name does not
    resolve from here yet), a name that does not resolve passes: every attempt checks it again.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise DestinationRefused("The address has no host name.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise DestinationRefused("The address has an invalid port.") from None
    trusted = host in _allowed_hosts()
    if host in METADATA_HOSTS and not trusted:
        raise DestinationRefused(f"{host} is a cloud metadata service; webhooks go to public addresses only.")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        if require_resolution:
            raise DestinationRefused(f"The host name {host} does not resolve.") from None
        return []
    addresses = []
    networks = _allowed_networks()
    for _family, _type, _proto, _name, sockaddr in infos:
        ip = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        problem = None if trusted else _address_problem(ip, networks)
        if problem:
            raise DestinationRefused(problem)
        addresses.append(str(ip))
    return addresses


def destination_problem(url):
    """Why `url` may not be subscribed (for forms and serializers), or None."""
    try:
        resolve_destination(url, require_resolution=False)
    except DestinationRefused as refused:
        return str(refused)
    return None


def _pinned(connection_class, address):
    class Pinned(connection_class):
        def _create_connection(self, target, timeout, source_address=None):
            # Connect to the checked address; the host name still goes in Host and in TLS (SNI).
            return socket.create_connection((address, target[1]), timeout, source_address)

    return Pinned


class _Pinning:
    """Mixed into urllib's handlers: every connection they open goes to the checked address."""

    def __init__(self, address):
        super().__init__()
        self.address = address

    def do_open(self, http_class, req, **kwargs):
        return super().do_open(_pinned(http_class, self.address), req, **kwargs)


class _PinnedHTTPHandler(_Pinning, urllib.request.HTTPHandler):
    pass


class _PinnedHTTPSHandler(_Pinning, urllib.request.HTTPSHandler):
    pass


def pinned_opener(address, *extra_handlers):
    """A urllib opener that connects only to `address`, whatever the URL's name resolves to now."""
    return urllib.request.build_opener(_PinnedHTTPHandler(address), _PinnedHTTPSHandler(address), *extra_handlers)
