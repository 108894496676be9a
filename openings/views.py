from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from config.http import redirect_back

from . import services
from .forms import VISIBILITY_HELP, OpeningForm, OpeningFilter
from .models import Opening
from .visibility import audience_preview, excluded_referrer_notes, get_visible_or_404, viewer_is_hr

PAGE_SIZE = 20


def _listable(user):
    """What the list shows: open openings the user may see (HR may pick other statuses)."""
    return Opening.objects.visible_to(user).select_related("division", "location", "posted_by")


@login_required
def opening_list(request):
    base = _listable(request.user)
    status = request.GET.get("status", Opening.Status.OPEN)
    if status not in Opening.Status.values or not viewer_is_hr(request.user):
        status = Opening.Status.OPEN
    base = base.filter(status=status)
    filterset = OpeningFilter(request.GET or None, queryset=base)
    filtered = filterset.is_bound and filterset.is_valid() and any(filterset.form.cleaned_data.values())
    results = filterset.qs if filtered else base
    # Counts per filter option come from the same visible queryset: nobody learns of an opening
    # through a number. One grouped query gives both facets and, unfiltered, the total as well.
    division_counts, location_counts, total = {}, {}, 0
    for division, location, n in base.values_list("division__code", "location__code").annotate(n=Count("id")).order_by():
        division_counts[division] = division_counts.get(division, 0) + n
        location_counts[location] = location_counts.get(location, 0) + n
        total += n
    paginator = Paginator(results.order_by("-opened_at", "-id"), PAGE_SIZE)
    if not filtered:
        paginator.count = total  # the same number: no second scan of the visible openings
    page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "openings/list.html",
        {
            "filter": filterset,
            "page": page,
            "division_counts": division_counts,
            "location_counts": location_counts,
            "status": status,
            "statuses": Opening.Status.choices if viewer_is_hr(request.user) else None,
            "querystring": params.urlencode(),
        },
    )


@login_required
def my_openings(request):
    openings = (
        Opening.objects.visible_to(request.user)
        .filter(posted_by=request.user)
        .select_related("division", "location")
        .order_by("-created_at")
    )
    return render(request, "openings/mine.html", {"openings": openings})


@login_required
def opening_detail(request, pk):
    opening = get_visible_or_404(request.user, pk, Opening.objects.select_related("division", "location", "posted_by"))
    manage = services.can_manage(request.user, opening)
    context = {"opening": opening, "can_manage": manage}
    if manage:
        context["preview"] = audience_preview(opening)
        context["excluded"] = [e.user for e in opening.exclusions.select_related("user")]
    return render(request, "openings/detail.html", context)


def _form_context(form, poster, opening=None):
    """The visibility chooser shows, for each level, how many people it would reach."""
    probe = opening or Opening(posted_by=poster, status=Opening.Status.DRAFT)
    excluded_ids = None
    if form.is_bound and form.is_valid():
        excluded_ids = [u.pk for u in form.cleaned_data["excluded_emails"]]
    levels = []
    original = probe.visibility
    for value, label in Opening.Visibility.choices:
        probe.visibility = value
        levels.append({"value": value, "label": label, "help": VISIBILITY_HELP[value], "preview": audience_preview(probe, excluded_ids=excluded_ids)})
    probe.visibility = original
    if excluded_ids is None and opening is not None:
        excluded_ids = opening.exclusions.values("user_id")
    notes = excluded_referrer_notes(opening, excluded_ids) if opening is not None else []
    return {"form": form, "levels": levels, "opening": opening, "excluded_referrer_notes": notes}


@login_required
def opening_create(request):
    form = OpeningForm(request.POST or None, poster=request.user)
    if request.method == "POST" and form.is_valid():
        publish = request.POST.get("action") == "publish"
        try:
            opening = services.opening_create(
                posted_by=request.user,
                excluded=form.cleaned_data["excluded_emails"],
                status=Opening.Status.OPEN if publish else Opening.Status.DRAFT,
                **form.opening_fields(),
            )
        except ValidationError as error:
            _attach_errors(form, error)
        else:
            messages.success(request, "Opening published." if publish else "Draft saved. Publish it when you are ready.")
            return redirect("openings:detail", pk=opening.pk)
    return render(request, "openings/form.html", _form_context(form, request.user))


@login_required
def opening_edit(request, pk):
    opening = get_visible_or_404(request.user, pk)
    if not services.can_manage(request.user, opening):
        raise PermissionDenied
    form = OpeningForm(request.POST or None, instance=opening, poster=opening.posted_by)
    if request.method == "POST" and form.is_valid():
        try:
            services.opening_update(
                opening=Opening.objects.get(pk=opening.pk),
                by=request.user,
                excluded=form.cleaned_data["excluded_emails"],
                **form.opening_fields(),
            )
        except ValidationError as error:
            _attach_errors(form, error)
        else:
            messages.success(request, "Opening saved.")
            for note in excluded_referrer_notes(opening, [u.pk for u in form.cleaned_data["excluded_emails"]]):
                messages.warning(request, note)
            return redirect("openings:detail", pk=opening.pk)
    return render(request, "openings/form.html", _form_context(form, opening.posted_by, opening))


@login_required
@require_POST
def opening_status(request, pk):
    opening = get_visible_or_404(request.user, pk)
    target = {"publish": Opening.Status.OPEN, "reopen": Opening.Status.OPEN, "close": Opening.Status.CLOSED}.get(
        request.POST.get("action")
    )
    if target is None:
        messages.error(request, "Unknown action.")
    else:
        try:
            services.opening_set_status(opening=opening, by=request.user, status=target)
        except PermissionDenied:
            raise
        except ValidationError as error:
            for msgs in error.message_dict.values():
                for msg in msgs:
                    messages.error(request, msg)
        else:
            messages.success(request, f"The opening is now {opening.get_status_display().lower()}.")
    return redirect_back(request, reverse("openings:detail", args=[pk]))


def _attach_errors(form, error):
    for field, msgs in error.message_dict.items():
        for msg in msgs:
            form.add_error(field if field in form.fields else None, msg)
