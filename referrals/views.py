"""Portal pages for referrals. Thin: reads come from selectors, writes go through services."""

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from config.http import (
    attach_errors,
    error_messages,
    flash_errors,
    page_of,
    querystring_without_page,
    redirect_back,
)
from openings.selectors import get_visible_or_404

from . import bonuses, reminders, selectors, services
from .forms import AllReferralsFilter, InterestForm, MoveForm, ReferralForm, StartDateForm

PAGE_SIZE = 25


def _with_moves(user, referrals):
    """Pair each referral with the moves `user` may make on it (no query: the rule is in memory)."""
    return [
        (referral, [(value, services.S(value).label) for value in services.allowed_moves(user, referral)])
        for referral in referrals
    ]


@login_required
def referral_list(request):
    """/referrals/: the referrals I made, and the pipeline of referrals to my openings."""
    user = request.user
    made = selectors.with_opening_sight(user, selectors.referrals_made_by(user))
    reminders.attach_waiting(bonuses.attach_bonuses(user, made))
    pipeline = []
    to_mine = bonuses.attach_bonuses(user, selectors.referrals_to_openings_of(user))
    for opening, rows in groupby(to_mine, key=lambda r: r.opening):
        rows = list(rows)
        active = [r for r in rows if r.is_active]
        ended = [r for r in rows if not r.is_active]
        pipeline.append({"opening": opening, "active": _with_moves(user, active), "ended": ended})
    return render(
        request,
        "referrals/list.html",
        {"made": made, "pipeline": pipeline, "sees_all": selectors.viewer_sees_all_referrals(user)},
    )


@login_required
def referral_all(request):
    """/referrals/all/: every referral, with filters (HR only)."""
    if not selectors.viewer_sees_all_referrals(request.user):
        raise PermissionDenied
    base = selectors.with_details(selectors.referrals_visible_to(request.user))
    filterset = AllReferralsFilter(request.GET or None, queryset=base)
    results = filterset.qs if filterset.is_bound and filterset.is_valid() else base
    page = page_of(request, results.order_by("-created_at", "-id"), PAGE_SIZE)
    return render(
        request,
        "referrals/all.html",
        {
            "filter": filterset,
            "page": page,
            "querystring": querystring_without_page(request),
            "statuses": services.S.choices,
        },
    )


def _detail_context(request, referral, form=None, start_form=None):
    user = request.user
    selectors.with_opening_sight(user, [referral])
    bonuses.attach_bonuses(user, [referral])
    reminders.attach_waiting([referral])
    moves = services.allowed_moves(user, referral)
    manages = services.runs_pipeline(user, referral)
    if form is None and manages and moves:
        form = MoveForm(moves=moves)
    bonus = getattr(referral, "bonus_shown", None)
    return {
        "referral": referral,
        "events": list(referral.events.all()),
        "move_form": form if manages else None,
        "can_withdraw": not manages and services.S.WITHDRAWN in moves,
        "is_referrer": referral.referrer_id == user.pk,
        "bonus": bonus,
        "bonus_events": list(bonus.events.select_related("by").order_by("at", "id")) if bonus else [],
        "start_form": start_form or _start_form(user, referral),
    }


def _start_form(user, referral):
    """The start-date form, for the poster or HR, once the referral is hired and earns a bonus that
    is not past pending (the rule itself is bonuses.bonus_record_start's)."""
    if referral.status != services.S.HIRED or not bonuses.records_start_date(user, referral):
        return None
    existing = getattr(referral, "bonus_shown", None)
    if existing is not None and existing.status != existing.Status.PENDING:
        return None
    if bonuses.bonus_problem(referral):
        return None
    try:
        initial = referral.bonus.start_date
    except bonuses.ReferralBonus.DoesNotExist:
        initial = None
    return StartDateForm(initial={"start_date": initial})


@login_required
def referral_detail(request, pk):
    referral = selectors.get_visible_referral_or_404(
        request.user, pk, selectors.with_history(selectors.referrals_visible_to(request.user))
    )
    return render(request, "referrals/detail.html", _detail_context(request, referral))


@login_required
@require_POST
def referral_move(request, pk):
    """The poster or HR moves a referral on, with a comment (and a reason when declining)."""
    qs = selectors.with_history(selectors.referrals_visible_to(request.user))
    referral = selectors.get_visible_referral_or_404(request.user, pk, qs)
    if not services.runs_pipeline(request.user, referral):
        raise PermissionDenied  # the referrer withdraws through referral_withdraw
    form = MoveForm(request.POST, moves=services.allowed_moves(request.user, referral))
    if form.is_valid():
        try:
            moved = services.referral_move(
                referral=referral,
                by=request.user,
                status=form.cleaned_data["status"],
                comment=form.cleaned_data["comment"],
                decline_reason=form.cleaned_data["decline_reason"],
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, f"{moved.candidate_name} is now {moved.get_status_display().lower()}.")
            return redirect_back(request, reverse("referrals:detail", args=[pk]))
    return render(request, "referrals/detail.html", _detail_context(request, referral, form), status=400)


@login_required
@require_POST
def referral_start_date(request, pk):
    """The poster or HR records the hire's start date (the bonus then runs to eligible)."""
    qs = selectors.with_history(selectors.referrals_visible_to(request.user))
    referral = selectors.get_visible_referral_or_404(request.user, pk, qs)
    if not bonuses.records_start_date(request.user, referral):
        raise PermissionDenied
    form = StartDateForm(request.POST)
    if form.is_valid():
        try:
            bonuses.bonus_record_start(referral=referral, by=request.user, start_date=form.cleaned_data["start_date"])
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, "The start date is recorded.")
            return redirect("referrals:detail", pk=pk)
    return render(request, "referrals/detail.html", _detail_context(request, referral, start_form=form), status=400)


@login_required
@require_POST
def referral_withdraw(request, pk):
    """The referrer withdraws their referral (final)."""
    qs = selectors.with_history(selectors.referrals_visible_to(request.user))
    referral = selectors.get_visible_referral_or_404(request.user, pk, qs)
    try:
        services.referral_withdraw(referral=referral, by=request.user, comment=request.POST.get("comment", "")[:2000])
    except ValidationError as error:
        flash_errors(request, error)
        return render(request, "referrals/detail.html", _detail_context(request, referral), status=400)
    messages.success(request, "The referral is withdrawn.")
    return redirect_back(request, reverse("referrals:detail", args=[pk]))


def _refusal(request, opening, error, template_title):
    return render(
        request,
        "referrals/unavailable.html",
        {"opening": opening, "reasons": error_messages(error), "title": template_title},
        status=400,
    )


def _submit_page(request, pk, *, form_class, template, title, submit):
    """Shared by "Refer someone" and "I'm interested": 404 for an opening the viewer may not see
    (as for a missing id), a clear refusal for one they cannot refer to, else the form."""
    opening = get_visible_or_404(request.user, pk, _openings_with_poster())
    try:
        services.referral_opening_check(referrer=request.user, opening=opening)
    except ValidationError as error:
        return _refusal(request, opening, error, title)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            referral = submit(opening, form.cleaned_data)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            return redirect("referrals:detail", pk=referral.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, template, {"form": form, "opening": opening}, status=status)


def _openings_with_poster():
    from openings.models import Opening

    return Opening.objects.select_related("posted_by", "division", "location")


@login_required
def referral_create(request, pk):
    """/openings/<id>/refer/: refer someone to an opening."""

    def submit(opening, data):
        referral = services.referral_submit(referrer=request.user, opening=opening, **data)
        messages.success(request, f"Thank you: {referral.candidate_name} is referred. You will hear how it goes.")
        return referral

    return _submit_page(
        request, pk, form_class=ReferralForm, template="referrals/form.html", title="Refer someone", submit=submit
    )


@login_required
def interest_create(request, pk):
    """/openings/<id>/interested/: put yourself forward ("I'm interested")."""

    def submit(opening, data):
        referral = services.referral_express_interest(employee=request.user, opening=opening, **data)
        messages.success(request, "Your interest is sent to the hiring manager. You will hear how it goes.")
        return referral

    return _submit_page(
        request,
        pk,
        form_class=InterestForm,
        template="referrals/interested.html",
        title="I'm interested",
        submit=submit,
    )
