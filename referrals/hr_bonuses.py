"""HR's referral bonuses at /hr/bonuses/: the list with filters, approve and mark paid on one or
many, forfeit with a reason, and the CSV export for payroll. Thin: reads come from
referrals.bonuses' selectors, writes go through its services (history, webhooks, audit)."""

import csv

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Division
from config.http import error_messages, get_or_404, page_of, querystring_without_page

from . import bonuses
from .models import ReferralBonus
from .selectors import viewer_sees_all_referrals

PAGE_SIZE = 50
CSV_COLUMNS = [
    "bonus_id",
    "referral_id",
    "referrer_employee_id",
    "referrer_name",
    "referrer_email",
    "referrer_division",
    "opening",
    "opening_division",
    "amount",
    "currency",
    "status",
    "start_date",
    "eligible_on",
    "payroll_reference",
]


class BonusFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *ReferralBonus.Status.choices], required=False)
    division = forms.ChoiceField(required=False, label="Division (of the opening)")
    date_from = forms.DateField(required=False, label="Eligible from", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="Eligible until", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].choices = [("", "Any division"), *Division.objects.values_list("code", "name")]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end of the range is before its start.")
        return data


def _require_hr(user):
    if not viewer_sees_all_referrals(user):
        raise PermissionDenied


def _filtered(request):
    form = BonusFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, ReferralBonus.objects.none()
    data = form.cleaned_data if form.is_bound else {}
    return form, bonuses.bonuses_for_hr(
        request.user,
        status=data.get("status", ""),
        division=data.get("division", ""),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )


@login_required
def bonus_list(request):
    """/hr/bonuses/: bonuses by status, with filters and actions (HR)."""
    _require_hr(request.user)
    form, results = _filtered(request)
    page = page_of(request, results, PAGE_SIZE)
    return render(
        request,
        "hr/bonuses.html",
        {
            "form": form,
            "page": page,
            "querystring": querystring_without_page(request),
            "can_manage": bonuses.manages_bonuses(request.user),
        },
        status=400 if form.errors else 200,
    )


@login_required
def bonus_export(request):
    """/hr/bonuses/export.csv: the filtered bonuses for payroll, one row each."""
    _require_hr(request.user)
    form, results = _filtered(request)
    if form.errors:
        return HttpResponse("\n".join(error_messages(form.errors)), status=400, content_type="text/plain")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="referral-bonuses-{timezone.localdate():%Y-%m-%d}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for bonus in results.iterator(chunk_size=500):
        referral, referrer = bonus.referral, bonus.referral.referrer
        writer.writerow(
            [
                _cell(v)
                for v in (
                    bonus.pk,
                    referral.pk,
                    referrer.employee_id,
                    referrer.full_name,
                    referrer.email,
                    getattr(referrer.division, "code", ""),
                    referral.opening.title,
                    getattr(referral.opening.division, "code", ""),
                    bonus.amount,
                    bonus.currency,
                    bonus.status,
                    bonus.start_date,
                    bonus.eligible_on,
                    bonus.payroll_reference,
                )
            ]
        )
    return response


def _cell(value):
    """A CSV cell a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@login_required
@require_POST
def bonus_bulk(request):
    """Approve, or mark paid with one payroll reference, the chosen bonuses. Each moves on its own:
    one that someone else already moved is reported, the others go through."""
    _require_hr(request.user)
    if not bonuses.manages_bonuses(request.user):
        raise PermissionDenied
    action = request.POST.get("action")
    ids = [i for i in request.POST.getlist("ids") if i.isdigit()]
    if action not in ("approve", "mark_paid") or not ids:
        messages.error(request, "Choose at least one bonus and an action.")
        return _back(request, status=400)
    reference = request.POST.get("payroll_reference", "")
    if action == "mark_paid":
        try:
            bonuses.clean_reference(reference)
        except ValidationError as error:
            for message in error_messages(error):
                messages.error(request, message)
            return _back(request, status=400)
    done, refused = 0, []
    for bonus in bonuses.bonuses_visible_to(request.user).filter(pk__in=ids).order_by("pk"):
        try:
            if action == "approve":
                bonuses.bonus_approve(bonus=bonus, by=request.user)
            else:
                bonuses.bonus_mark_paid(bonus=bonus, by=request.user, payroll_reference=reference)
        except bonuses.BonusAlreadyMoved as moved:
            refused.append(f"Bonus {bonus.pk}: {moved.message}")
        except ValidationError as error:
            refused.extend(f"Bonus {bonus.pk}: {m}" for m in error_messages(error))
        else:
            done += 1
    verb = "approved" if action == "approve" else "marked paid"
    if done:
        messages.success(request, f"{done} bonus{'es' if done != 1 else ''} {verb}.")
    for message in refused:
        messages.error(request, message)
    return _back(request, status=200 if done else 409 if refused else 400)


@login_required
@require_POST
def bonus_forfeit(request, pk):
    """HR records that the hire left before the retention date, with the reason the referrer reads."""
    _require_hr(request.user)
    bonus = get_or_404(bonuses.bonuses_visible_to(request.user), pk, "No bonus matches the given query.")
    if not bonuses.manages_bonuses(request.user):
        raise PermissionDenied
    try:
        bonuses.bonus_forfeit(bonus=bonus, by=request.user, reason=request.POST.get("forfeit_reason", ""))
    except bonuses.BonusAlreadyMoved as moved:
        messages.error(request, moved.message)
        return _back(request, status=409)
    except ValidationError as error:
        for message in error_messages(error):
            messages.error(request, message)
        return _back(request, status=400)
    messages.success(request, f"Bonus {bonus.pk} is forfeited.")
    return _back(request)


def _back(request, status=200):
    """After an action: back to the list (a redirect on success, the list itself with the error
    messages and a 4xx status on a refusal, so nothing is mistaken for success)."""
    if status == 200:
        return redirect(request.POST.get("next") if _safe_next(request) else "hr:bonuses")
    form, results = _filtered(request)
    return render(
        request,
        "hr/bonuses.html",
        {"form": form, "page": page_of(request, results, PAGE_SIZE), "querystring": "", "can_manage": True},
        status=status,
    )


def _safe_next(request):
    target = request.POST.get("next", "")
    return target.startswith("/hr/bonuses/") and "//" not in target
