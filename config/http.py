"""Small request helpers the portal's apps share: written once here, called by every app's views."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
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


def get_or_404(queryset, pk, message="No object matches the given query."):
    """The row of `queryset` with this id, or Http404.

    Hidden means absent: give it a queryset already scoped to the caller, and what they may not see
    is answered exactly like a missing id, a malformed id included.
    """
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404(message) from None


def attach_errors(form, error):
    """Show a service's refusal (a ValidationError by field) on the form it came from: each message
    on its field, or above the form when the field is not one of the form's."""
    for field, msgs in error.message_dict.items():
        for msg in msgs:
            form.add_error(field if field in form.fields else None, msg)


def error_messages(errors):
    """Every message of a refusal, in order: a ValidationError (by field or not) or a form's errors."""
    if isinstance(errors, ValidationError):
        return errors.messages
    return [msg for msgs in errors.values() for msg in msgs]


def flash_errors(request, errors):
    """Each message of a refusal (see `error_messages`) as an error message on the next page."""
    for msg in error_messages(errors):
        messages.error(request, msg)


def page_of(request, object_list, per_page, *, paginator_class=Paginator, count=None):
    """The page of `object_list` that `?page=` asks for (the last one past the end, the first one
    for anything that is not a number). `count`, when the caller already knows it, spares the
    paginator its own count query."""
    paginator = paginator_class(object_list, per_page)
    if count is not None:
        paginator.count = count
    return paginator.get_page(request.GET.get("page"))


def querystring_without_page(request):
    """The list's query string without `page`: what its pagination links carry to keep the filters."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def json_error(status, code, detail, fields=None, headers=None):
    """The API's one error shape, `{code, detail, fields}`, for answers given outside a DRF view
    (the API middleware, the 403/404/500 handlers); DRF views answer it through config.api."""
    response = JsonResponse({"code": code, "detail": detail, "fields": fields or {}}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response
