from django.urls import path

from . import views

app_name = "openings"

urlpatterns = [
    path("", views.opening_list, name="list"),
    path("mine/", views.my_openings, name="mine"),
    path("new/", views.opening_create, name="new"),
    path("audience/", views.audience_preview_json, name="audience"),
    path("<int:pk>/", views.opening_detail, name="detail"),
    path("<int:pk>/edit/", views.opening_edit, name="edit"),
    path("<int:pk>/status/", views.opening_status, name="status"),
]
