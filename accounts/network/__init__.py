"""The network as a package: `selectors` (reads), `services` (writes), `suggestions`, and the
portal `views`/`forms`/`urls` and the `api` beside them.

The apps import from the submodules. The names below are re-exported for the tests, which read
the network as one surface (`network.connection_request_send(...)`, `network.degree(...)`) in
some two hundred places; the package's own code never imports from here.
"""

from .selectors import (
    PENDING,
    Relationship,
    are_connected,
    connections_of,
    degree,
    degrees,
    dismissed_suggestions,
    incoming_requests,
    mutual_connections,
    outgoing_requests,
    relationships,
    requests_of,
)
from .services import (
    MESSAGE_MAX_LENGTH,
    NetworkError,
    NetworkNotFound,
    connection_remove,
    connection_request_accept,
    connection_request_decline,
    connection_request_send,
    connection_request_withdraw,
    suggestion_dismiss,
    suggestion_restore,
)
from .suggestions import (
    MUTUAL_CAP,
    MUTUAL_WEIGHT,
    OTHER_DIVISION_BOOST,
    OTHER_LOCATION_BOOST,
    SAME_FUNCTION_WEIGHT,
    SUGGESTION_POOL,
    Suggestion,
    suggestions_for,
    suggestions_for_many,
)

__all__ = [
    "MESSAGE_MAX_LENGTH",
    "MUTUAL_CAP",
    "MUTUAL_WEIGHT",
    "OTHER_DIVISION_BOOST",
    "OTHER_LOCATION_BOOST",
    "PENDING",
    "SAME_FUNCTION_WEIGHT",
    "SUGGESTION_POOL",
    "NetworkError",
    "NetworkNotFound",
    "Relationship",
    "Suggestion",
    "are_connected",
    "connection_remove",
    "connection_request_accept",
    "connection_request_decline",
    "connection_request_send",
    "connection_request_withdraw",
    "connections_of",
    "degree",
    "degrees",
    "dismissed_suggestions",
    "incoming_requests",
    "mutual_connections",
    "outgoing_requests",
    "relationships",
    "requests_of",
    "suggestion_dismiss",
    "suggestion_restore",
    "suggestions_for",
    "suggestions_for_many",
]
