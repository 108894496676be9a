"""The events pages: /events/, /events/<id>/, /events/new/, edit and delete, the check-in link and
its printable poster.

Thin: reads through selectors.py (who sees an attendee list is decided there), writes through
services.py; templates only display.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.network.selectors import relationships
from config.http import attach_errors, get_or_404

from . import selectors, services
from .forms import AddAttendeeForm, EventEditForm, MeetupForm
from .qr import qr_svg

UPCOMING_PER_PAGE = 20
PAST_SHOWN = 20
ATTENDEES_PER_PAGE = 50


@login_required
def event_list(request):
    upcoming = Paginator(selectors.upcoming_events_for(request.user), UPCOMING_PER_PAGE).get_page(
        request.GET.get("page")
    )
    past = list(selectors.past_events_attended_by(request.user)[:PAST_SHOWN])
    return render(request, "events/list.html", {"upcoming": upcoming, "past": past})


@login_required
def event_detail(request, pk):
    user = request.user
    event = get_object_or_404(selectors.events_listed_to(user).select_related("location", "organiser"), pk=pk)
    context = {
        "event": event,
        "can_manage": services.can_manage_event(user, event),
        "can_edit": services.can_edit_event(user, event),
        "can_delete": services.can_delete_event(user, event),
    }
    if selectors.may_see_attendance(user, event):
        attending = selectors.is_attendee(user, event)
        page = Paginator(selectors.RankedAttendees(event, viewer=user), ATTENDEES_PER_PAGE).get_page(
            request.GET.get("page")
        )
        rows = list(page)
        found = relationships(user, rows) if attending else {}
        context.update(
            show_attendees=True,
            attendees=page,
            attending=attending,
            people=[(person, found.get(person.pk)) for person in rows],
        )
    if context["can_manage"]:
        context.update(_check_in_context(event), add_form=AddAttendeeForm())
    return render(request, "events/detail.html", context)


def _check_in_context(event):
    """The organiser's check-in link, its window, and the link as an inline SVG QR code."""
    opens, closes = services.check_in_window(event)
    url = settings.SITE_URL.rstrip("/") + reverse("events:check-in", args=[services.check_in_token(event)])
    return {"check_in_url": url, "check_in_opens": opens, "check_in_closes": closes, "check_in_qr": qr_svg(url)}


def _managed_event(request, pk, may):
    """The event `pk` for a page only some may use: 404 when the caller may not see the event at
    all (like a missing id), 403 when they see it but `may(user, event)` says no."""
    event = get_or_404(selectors.events_listed_to(request.user).select_related("location", "organiser"), pk)
    if not may(request.user, event):
        raise PermissionDenied
    return event


@login_required
def check_in_poster(request, pk):
    """A printable page (organiser and HR): the title, the time and place, the check-in QR code and
    the link as text, for a wall or a slide."""
    event = _managed_event(request, pk, services.can_manage_event)
    return render(request, "events/check_in_poster.html", {"event": event, **_check_in_context(event)})


@login_required
def event_edit(request, pk):
    """Change an event's fields (`services.can_edit_event`: the organiser, unless an HR system
    sent it, and HR). The service's field messages land on the form (400); nothing is written."""
    event = _managed_event(request, pk, services.can_edit_event)
    form = EventEditForm(
        request.POST or None, event=event, can_change_kind=services.can_manage_all_events(request.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            changes = services.event_update(event=event, by=request.user, request=request, **form.event_fields())
        except ValidationError as error:
            attach_errors(form, error)
        except PermissionDenied as refusal:  # a kind this editor may not choose
            form.add_error("kind" if "kind" in form.fields else None, str(refusal))
        else:
            messages.success(request, "Event saved." if changes else "Nothing changed.")
            return redirect("events:detail", pk=event.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "events/edit.html", {"form": form, "event": event}, status=status)


@login_required
def event_delete(request, pk):
    """GET asks for confirmation; POST deletes (`services.can_delete_event`: the organiser until it
    starts, HR at any time)."""
    event = _managed_event(request, pk, services.can_delete_event)
    if request.method == "POST":
        title = event.title
        services.event_delete(event=event, by=request.user, request=request)
        messages.success(request, f"{title} was deleted.")
        return redirect("events:list")
    return render(request, "events/delete_confirm.html", {"event": event})


@login_required
def event_create(request):
    form = MeetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_create(by=request.user, request=request, **form.event_fields())
        except ValidationError as error:
            for field, msgs in error.message_dict.items():
                for msg in msgs:
                    form.add_error(field if field in form.fields else None, msg)
        else:
            messages.success(request, "Meetup created. Share its check-in link when it starts.")
            return redirect("events:detail", pk=event.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "events/form.html", {"form": form}, status=status)


@login_required
@require_POST
def attendee_add(request, pk):
    event = get_object_or_404(selectors.events_listed_to(request.user), pk=pk)
    if not services.can_manage_event(request.user, event):
        raise PermissionDenied
    form = AddAttendeeForm(request.POST)
    if form.is_valid():
        try:
            services.attendance_add(event=event, by=request.user, employee=form.employee, request=request)
        except ValidationError as error:
            for msg in error.messages:
                messages.error(request, msg)
        else:
            messages.success(request, f"{form.employee} is on the attendee list.")
    else:
        for msg in form.errors.get("email", []):
            messages.error(request, msg)
    return redirect("events:detail", pk=pk)


@login_required
def check_in(request, token):
    """GET shows what the link is for and a button; POST joins the attendee list. A tampered,
    unknown, not yet open or closed link answers 4xx with the reason and writes nothing."""
    try:
        event = services.check_in_event(token)
        if request.method == "POST":
            event, joined = services.attendance_check_in(token=token, employee=request.user, request=request)
            messages.success(
                request, "You are on the attendee list." if joined else "You were already on the attendee list."
            )
            return redirect("events:detail", pk=event.pk)
    except services.CheckInRefused as refusal:
        return render(request, "events/check_in.html", {"refusal": refusal.message}, status=refusal.status)
    return render(request, "events/check_in.html", {"event": event, "token": token})
