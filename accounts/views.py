from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from config.http import json_error

from . import services
from .forms import PreferencesForm, ProfileForm


@login_required
def dashboard(request):
    return render(request, "accounts/dashboard.html", dashboard_context(request.user))


def dashboard_context(user):
    """What the home page shows; each part of the product adds its own panel here."""
    from openings.selectors import new_in_network
    from referrals.selectors import active_pipeline_count, referral_summary, referrals_waiting_for

    from .network.selectors import incoming_requests

    return {
        "new_openings": list(new_in_network(user)),
        "referral_summary": referral_summary(user),
        "connection_requests": list(incoming_requests(user)[:5]),
        "waiting_referrals": list(referrals_waiting_for(user)[:8]),
        "pipeline_count": active_pipeline_count(user),
    }


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your preferences are saved.")
        return redirect("settings")
    return render(request, "accounts/settings.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request):
    """The signed-in employee's own profile: what they do, their skills, open to talk."""
    user = request.user
    initial = {"what_i_do": user.what_i_do, "skills": ", ".join(user.skill_names), "open_to_talk": user.open_to_talk}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(employee=user, **form.cleaned_data)
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(name if name in form.fields else None, problem)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("network:profile", user.pk)
    return render(request, "accounts/profile_form.html", {"form": form, "skill_options": services.most_used_skills()})


@never_cache
def healthz(request):
    """For the load balancer: the process answers and reaches its database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "database unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def permission_denied(request, exception=None):
    if request.path.startswith("/api/"):
        return json_error(403, "permission_denied", "You may not do this.")
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return json_error(404, "not_found", "Not found.")
    return render(request, "404.html", status=404)


def server_error(request):
    if request.path.startswith("/api/"):
        return json_error(500, "server_error", "Something went wrong on our side.")
    # No context processors: whatever failed must not fail again while rendering this page.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render(), status=500)
