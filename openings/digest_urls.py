from django.urls import path

from . import digest_views

app_name = "digest"

urlpatterns = [
    path("preview/", digest_views.preview, name="preview"),
    path("preview/email/", digest_views.preview_frame, name="preview-frame"),
    path("unsubscribe/<str:token>/", digest_views.unsubscribe, name="unsubscribe"),
]
