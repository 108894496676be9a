"""Portal pages of the network: /network/, /people/ and /people/<id>/, and their POST actions.

Pages read through the network selectors and actions call its services; a refusal becomes a message
on the page the person came from, and someone else's request is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.views.decorators.http import require_http_methods, require_POST

from config.http import flash_errors, page_of, querystring_without_page, redirect_back

from ..models import ConnectionRequest, User
from ..roles import is_employee
from . import selectors, services, suggestions
from .forms import ConnectForm, PeopleFilter, met_at_note

CONNECTIONS_PER_PAGE = 30
PEOPLE_PER_PAGE = 24
SUGGESTIONS_SHOWN = 6
MUTUALS_SHOWN = 12
DISMISSED_SHOWN = 50


@login_required
def network_home(request):
    user = request.user
    # met_at arrives in the page's own query (subqueries); which of those events the viewer may
    # open is the events' rule, asked once for the page.
    connections = page_of(request, selectors.connections_of(user, with_met_at=True), CONNECTIONS_PER_PAGE)
    met_at_ids = {person.met_at_id for person in connections if person.met_at_id}
    return render(
        request,
        "network/home.html",
        {
            "connections": connections,
            "met_at_links": _events_listed(user, met_at_ids),
            "incoming": list(selectors.incoming_requests(user)),
            "outgoing": list(selectors.outgoing_requests(user)),
            "suggestions": suggestions.suggestions_for(user, limit=SUGGESTIONS_SHOWN),
            "dismissed": list(selectors.dismissed_suggestions(user)[:DISMISSED_SHOWN]),
        },
    )


def _events_listed(user, ids):
    """The ids among `ids` of events `user` may open (`events.selectors.events_listed_to`): one
    query, none when there are no ids."""
    from events.selectors import events_listed_to

    return set(events_listed_to(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()


class CappedPaginator(Paginator):
    """Counts matches only up to COUNT_CAP: a one-letter search in a company of 100,000 would
    otherwise count most of the company on every page. Past the cap the page says "1,000+"
    and the search is to be refined; the pages themselves stay index walks."""

    COUNT_CAP = 1000

    @cached_property
    def count(self):
        return self.object_list[: self.COUNT_CAP + 1].count()

    @property
    def capped(self):
        return self.count > self.COUNT_CAP


@login_required
def people(request):
    base = User.objects.directory()
    filterset = PeopleFilter(request.GET or None, queryset=base)
    if filterset.is_bound and not filterset.is_valid():
        results = base.none()
    else:
        results = filterset.qs
    page = page_of(request, results, PEOPLE_PER_PAGE, paginator_class=CappedPaginator)
    rows = list(page)
    prefetch_related_objects(rows, "skills")
    found = selectors.relationships(request.user, rows)
    return render(
        request,
        "network/people.html",
        {
            "filter": filterset,
            "page": page,
            "people": [(person, found[person.pk]) for person in rows],
            "querystring": querystring_without_page(request),
        },
    )


@login_required
def profile(request, pk):
    # Leavers are out of the directory: their profile is answered like a missing one.
    person = get_object_or_404(User.objects.directory().select_related("manager"), pk=pk)
    is_self = person.pk == request.user.pk
    relationship = selectors.relationships(request.user, [person])[person.pk]
    mutual = selectors.mutual_connections(request.user, person) if not is_self else User.objects.none()
    manager = person.manager if person.manager_id and is_employee(person.manager) else None
    return render(
        request,
        "network/profile.html",
        {
            "person": person,
            "is_self": is_self,
            "relationship": relationship,
            "mutual": list(mutual[:MUTUALS_SHOWN]),
            "mutual_count": mutual.count() if not is_self else 0,
            "manager": manager,
            "skills": list(person.skills.all()),
            "connect_form": _connect_form(request, person),
            "met_at": None if is_self else selectors.met_at_between(request.user, person),
        },
    )


def _connect_form(request, person):
    """The Connect form; opened from an event (`?met_at=<id>`) both attended, it names the event
    and starts the note with "We met at …". Any other event id is ignored here (the service
    would refuse it on send)."""
    from events.models import Attendance, Event

    pk = request.GET.get("met_at", "")
    if pk.isdigit() and is_employee(request.user):
        event = Event.objects.filter(pk=pk).first()
        both = Attendance.objects.filter(event_id=pk, employee_id__in=[request.user.pk, person.pk]).count() == 2
        if event is not None and both:
            return ConnectForm(initial={"met_at": event.pk, "message": met_at_note(event)})
    return ConnectForm()


# --- POST actions ------------------------------------------------------------------------------


def _run(request, action, success):
    """Run a network action; NetworkNotFound is a 404, any other refusal an error message."""
    try:
        result = action()
    except services.NetworkNotFound:
        raise Http404("Not found.") from None
    except services.NetworkError as error:
        messages.error(request, error.message)
        return None
    messages.success(request, success(result) if callable(success) else success)
    return result


@login_required
@require_POST
def connect(request, pk):
    other = get_object_or_404(User.objects.active(), pk=pk)
    form = ConnectForm(request.POST)
    if not form.is_valid():
        flash_errors(request, form.errors)
        return redirect_back(request, reverse("network:profile", args=[pk]))

    def said(request_obj):
        if request_obj.status == ConnectionRequest.Status.ACCEPTED:
            return f"{other} had already asked you: you are now connected."
        return f"Request sent to {other}."

    _run(
        request,
        lambda: services.connection_request_send(
            sender=request.user,
            recipient=other,
            message=form.cleaned_data["message"],
            met_at=form.cleaned_data["met_at"],
        ),
        said,
    )
    return redirect_back(request, reverse("network:profile", args=[pk]))


def _request_action(request, pk, action, success):
    request_obj = get_object_or_404(ConnectionRequest.objects.select_related("sender", "recipient"), pk=pk)
    _run(request, lambda: action(request_obj=request_obj, by=request.user), success(request_obj))
    return redirect_back(request, reverse("network:home"))


@login_required
@require_POST
def request_accept(request, pk):
    return _request_action(
        request, pk, services.connection_request_accept, lambda r: f"You are now connected with {r.sender}."
    )


@login_required
@require_POST
def request_decline(request, pk):
    return _request_action(
        request, pk, services.connection_request_decline, lambda r: f"Request from {r.sender} declined."
    )


@login_required
@require_POST
def request_withdraw(request, pk):
    return _request_action(
        request, pk, services.connection_request_withdraw, lambda r: f"Request to {r.recipient} withdrawn."
    )


@login_required
@require_http_methods(["GET", "POST"])
def connection_remove(request, pk):
    """GET asks "Remove your connection with …?" (a page, so it works without JavaScript); POST removes."""
    other = get_object_or_404(User.objects.active(), pk=pk)
    if request.method == "GET":
        if not selectors.relationships(request.user, [other])[other.pk].connected:
            raise Http404("Not found.")
        return render(request, "network/remove_confirm.html", {"person": other, "next": request.GET.get("next", "")})
    _run(
        request,
        lambda: services.connection_remove(user=request.user, other=other),
        f"You are no longer connected with {other}.",
    )
    return redirect_back(request, reverse("network:home"))


@login_required
@require_POST
def suggestion_restore(request, pk):
    other = get_object_or_404(User.objects.active(), pk=pk)
    _run(
        request,
        lambda: services.suggestion_restore(user=request.user, dismissed=other),
        f"{other} may be suggested to you again.",
    )
    return redirect_back(request, reverse("network:home"))


@login_required
@require_POST
def suggestion_dismiss(request, pk):
    other = get_object_or_404(User.objects.active(), pk=pk)
    _run(
        request,
        lambda: services.suggestion_dismiss(user=request.user, dismissed=other),
        f"{other} will not be suggested again. Changed your mind? “Show again” under “Not now”.",
    )
    return redirect_back(request, reverse("network:home"))
