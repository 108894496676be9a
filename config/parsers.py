"""Reading JSON bodies without letting their shape crash the server (kept apart from config/api.py,
which imports DRF's views: DRF reads DEFAULT_PARSER_CLASSES while those load)."""

import json

from rest_framework import exceptions, parsers

MAX_JSON_DEPTH = 32


def _depth(value):
    """How deeply `value` nests arrays and objects (iteratively: no recursion to exhaust)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            items = item.values()
        elif isinstance(item, list):
            items = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in items)
    return deepest


class JSONParser(parsers.JSONParser):
    """JSON bodies, refused with a 400 when nested deeper than MAX_JSON_DEPTH: no record of ours
    nests more than a few levels, and a few thousand levels exhaust the parser's recursion."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.") from None
        if _depth(data) > MAX_JSON_DEPTH:
            raise exceptions.ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.")
        return data


def loads_or_none(body):
    """`json.loads(body)`, or None for anything that is not JSON we would accept (for the
    middleware's fingerprint and audit payload, which see the body before the parser does)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return data if _depth(data) <= MAX_JSON_DEPTH else None
