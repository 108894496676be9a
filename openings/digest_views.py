from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.models import User

from . import digest as digest_lib


@login_required
def preview(request):
    """This week's digest for the signed-in employee, exactly as it would be sent."""
    digest = digest_lib.digest_for(request.user)
    context = {"digest": digest}
    if not digest.is_empty:
        message = digest_lib.render_digest(digest)
        context["html"] = message.alternatives[0][0]
        context["subject"] = message.subject
    return render(request, "openings/digest_preview.html", context)


@login_required
def preview_frame(request):
    # The email's HTML in its own document: it carries inline styles of its own.
    digest = digest_lib.digest_for(request.user)
    if digest.is_empty:
        return HttpResponse("Nothing new this week.", content_type="text/plain")
    html = digest_lib.render_digest(digest).alternatives[0][0]
    # A link followed inside the frame would load a portal page there, which X-Frame-Options DENY
    # makes the browser refuse: the preview's links open in the whole window, as from a mail client.
    html = html.replace("<head>", '<head><base target="_top">', 1)
    response = HttpResponse(html)
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no session or token.
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """One-click unsubscribe with a signed token, no sign-in needed.

    GET shows a confirmation button (link scanners must not unsubscribe anyone); POST, from that
    button or from the mail client's one-click, switches the digest off. A tampered or expired token,
    or one of a deactivated employee, is a 400 and changes nothing.
    """
    user = digest_lib.user_from_unsubscribe_token(token)
    if user is None:
        return render(request, "openings/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        User.objects.filter(pk=user.pk).update(digest_enabled=False)
        return render(request, "openings/unsubscribe.html", {"done": True})
    # No address on the page: whoever holds a forwarded email learns nothing about its recipient.
    return render(request, "openings/unsubscribe.html", {"token": token, "enabled": user.digest_enabled})
