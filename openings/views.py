from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from analytics.opening_reach import opening_reach
from config.http import attach_errors, flash_errors, page_of, querystring_without_page, redirect_back
from referrals.selectors import my_marks

from . import services
from .filters import SORTS, PortalOpeningFilter, chosen_sort
from .forms import AudiencePreviewForm, OpeningForm
from .models import Opening
from .selectors import get_visible_or_404, listed_status, opening_facets, openings_listed
from .visibility import routes_to, viewer_is_hr
from .visibility_text import LEVELS, audience_preview, excluded_referrer_notes, preview_text

PAGE_SIZE = 20


@login_required
def opening_list(request):
    """/openings/: the openings the viewer may see, filtered (filters.py, the API's too), with counts."""
    user = request.user
    status = listed_status(user, request.GET.get("status"))
    base = openings_listed(user, status=status)
    filterset = PortalOpeningFilter(request.GET or None, queryset=base)
    filtered = filterset.is_bound and filterset.is_valid() and any(filterset.form.cleaned_data.values())
    results = filterset.qs if filtered else base
    facets = opening_facets(user, status=status)
    sort = chosen_sort(request.GET.get("sort"))
    # Unfiltered, the facets' total is the list's count: no second scan of the visible openings.
    page = page_of(request, results.order_by(*SORTS[sort][1]), PAGE_SIZE, count=None if filtered else facets.total)
    rows = list(page.object_list)
    routes = routes_to(user, rows)
    marks = my_marks(user, [o.pk for o in rows])
    return render(
        request,
        "openings/list.html",
        {
            "rows": [(o, routes.get(o.pk), marks.get(o.pk)) for o in rows],
            "sort": sort,
            "sorts": [(key, label) for key, (label, _order) in SORTS.items()],
            "filter": filterset,
            "page": page,
            "division_counts": facets.divisions,
            "location_counts": facets.locations,
            "status": status,
            "statuses": Opening.Status.choices if viewer_is_hr(user) else None,
            "querystring": querystring_without_page(request),
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
        # Its poster and HR see its reach by place (counts only, small cells hidden).
        context["reach"] = opening_reach(opening)
        context["preview"] = context["reach"]["preview"]
        context["excluded"] = [e.user for e in opening.exclusions.select_related("user")]
    return render(request, "openings/detail.html", context)


def _form_context(form, poster, opening=None):
    """The visibility chooser shows, for each level, how many people it would reach, and the
    audience of the level chosen (or about to be) stands out above it."""
    probe = opening or Opening(posted_by=poster, status=Opening.Status.DRAFT)
    excluded_ids = None
    # The "Hide from" list as typed counts as soon as it is valid itself, even while another field
    # is refused: without JavaScript, that is when the poster sees the audience it gives.
    if form.is_bound and (form.is_valid() or "excluded_emails" in form.cleaned_data):
        excluded_ids = [u.pk for u in form.cleaned_data["excluded_emails"]]
    levels = []
    original = probe.visibility
    chosen = form["visibility"].value() or Opening.Visibility.NETWORK
    audience = probe_reach = None
    for value, label in Opening.Visibility.choices:
        probe.visibility = value
        preview = audience_preview(probe, excluded_ids=excluded_ids)
        levels.append({"value": value, "label": label, "help": LEVELS[value].help, "preview": preview})
        if value == chosen:
            audience = {"preview": preview, "visibility": value}
            # The chosen level's reach by place, as it will be once saved (poster or HR only).
            probe_reach = opening_reach(probe, excluded_ids=excluded_ids)
    probe.visibility = original
    if excluded_ids is None and opening is not None:
        excluded_ids = opening.exclusions.values("user_id")
    notes = excluded_referrer_notes(opening, excluded_ids) if opening is not None else []
    return {
        "form": form,
        "levels": levels,
        "opening": opening,
        "audience": audience,
        "reach": probe_reach,
        "chosen": chosen,
        "excluded_referrer_notes": notes,
    }


@login_required
def audience_preview_json(request):
    """The live audience of the opening form, as the poster changes visibility and "Hide from".

    `?visibility=&excluded_emails=` and, when editing, `&opening=<id>`: an opening the caller may
    not edit is answered exactly like a missing one (404). Bad input answers 400 with field
    messages. The numbers come from the rule's own audience function, like the form's.
    """
    opening = None
    poster = request.user
    if request.GET.get("opening"):
        try:
            opening = get_visible_or_404(
                request.user, request.GET["opening"], Opening.objects.select_related("posted_by")
            )
            if not services.can_manage(request.user, opening):
                raise Http404  # one they may see but not edit is answered like a missing one
        except Http404:
            return JsonResponse({"detail": "Not found."}, status=404)
        poster = opening.posted_by
    form = AudiencePreviewForm(request.GET, poster=poster)
    if not form.is_valid():
        return JsonResponse({"errors": {k: [str(m) for m in v] for k, v in form.errors.items()}}, status=400)
    probe = Opening(posted_by=poster, status=Opening.Status.DRAFT, visibility=form.cleaned_data["visibility"])
    if opening is not None:
        probe.pk = opening.pk
    preview = audience_preview(probe, excluded_ids=[u.pk for u in form.cleaned_data["excluded_emails"]])
    return JsonResponse({**preview, "text": preview_text(preview, probe.visibility)})


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
            attach_errors(form, error)
        else:
            messages.success(
                request, "Opening published." if publish else "Draft saved. Publish it when you are ready."
            )
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
            attach_errors(form, error)
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
            flash_errors(request, error)
        else:
            messages.success(request, f"The opening is now {opening.get_status_display().lower()}.")
    return redirect_back(request, reverse("openings:detail", args=[pk]))
