"""What every API endpoint shares: one error shape, cursor pagination, strict input."""

from datetime import UTC

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, pagination, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """Every API error answers `{"code", "detail", "fields"}`.

    `fields` maps a field name to its messages (`non_field_errors` for the whole object), so an
    integration can show the HRIS operator exactly which column of which record was refused.
    """
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, DjangoValidationError):
        # Services raise Django's ValidationError with field messages; the API answers them as 400.
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        body = {"code": "invalid", "detail": "Some fields are invalid.", "fields": _plain(fields)}
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        body = {"code": str(code), "detail": str(detail), "fields": {}}
    response.data = body
    return response


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value)


MESSAGES_SCHEMA = {"type": "array", "items": {"type": "string"}}
# A field's messages, or (for a list or a row of a bulk call) messages keyed by position or field.
FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "additionalProperties": {
        "oneOf": [
            MESSAGES_SCHEMA,
            {"type": "object", "additionalProperties": {"oneOf": [MESSAGES_SCHEMA, {"type": "object"}]}},
        ]
    },
}


@extend_schema_field(FIELD_ERRORS_SCHEMA)
class FieldErrorsField(serializers.DictField):
    """`fields` of an error: {field: [messages]}, or nested by position for lists and bulk rows."""


class ErrorSerializer(serializers.Serializer):
    """The shape of every error answer (for the OpenAPI schema)."""

    code = serializers.CharField(help_text="Machine-readable: invalid, not_found, permission_denied, …")
    detail = serializers.CharField(help_text="A sentence for people.")
    fields = FieldErrorsField(
        help_text='Messages per field; non_field_errors for the whole object; nested by position for a list (e.g. {"events": {"0": ["…"]}}).',
    )


class CursorPagination(pagination.CursorPagination):
    """Opaque cursors: a page never repeats or skips rows when rows are added meanwhile.

    A cursor that is not one of ours (tampered, truncated, or with a position that is not an id)
    is a 400 on `cursor`, never a server error.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "id"
    invalid_cursor_message = "This cursor is not valid: follow the `next` link of the previous page."

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError({self.cursor_query_param: [self.invalid_cursor_message]}) from None
        if cursor is not None and cursor.position is not None:
            try:
                int(cursor.position)
            except (TypeError, ValueError):
                raise exceptions.ValidationError({self.cursor_query_param: [self.invalid_cursor_message]}) from None
        return cursor


class _UtcIsoDateTimeField(IsoDateTimeField):
    """ISO 8601, converted to UTC here: an offset such as -23:59 is valid ISO but not a time zone
    PostgreSQL accepts, and a date at the edge of the calendar overflows when converted."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            utc = parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError("Enter a date-time between the years 1 and 9999.", code="invalid") from None
        if not 1 < utc.year < 9999:
            raise forms.ValidationError("Enter a date-time between the years 2 and 9998.", code="invalid")
        return utc


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """`updated_since` and `since`: any ISO 8601 date-time, or a 400 on the parameter."""

    field_class = _UtcIsoDateTimeField


class StrictFieldsMixin:
    """Refuse fields the serializer does not know, instead of silently ignoring a typo."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = {}
            for name in sorted(data):
                field = self.fields.get(name)
                if field is None:
                    errors[name] = ["Unknown field."]
                elif field.read_only:
                    errors[name] = ["This field is read-only."]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


ERROR_RESPONSES = {
    status.HTTP_400_BAD_REQUEST: ErrorSerializer,
    status.HTTP_401_UNAUTHORIZED: ErrorSerializer,
    status.HTTP_403_FORBIDDEN: ErrorSerializer,
    status.HTTP_404_NOT_FOUND: ErrorSerializer,
}


def error_response(status_code, code, detail, fields=None):
    return Response({"code": code, "detail": detail, "fields": fields or {}}, status=status_code)
