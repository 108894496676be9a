from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("settings/", views.preferences, name="settings"),
    path("settings/profile/", views.profile_edit, name="profile-edit"),
]
