from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("", views.event_list, name="list"),
    path("new/", views.event_create, name="new"),
    path("<int:pk>/", views.event_detail, name="detail"),
    path("<int:pk>/edit/", views.event_edit, name="edit"),
    path("<int:pk>/delete/", views.event_delete, name="delete"),
    path("<int:pk>/check-in-poster/", views.check_in_poster, name="check-in-poster"),
    path("<int:pk>/attendees/add/", views.attendee_add, name="attendee-add"),
    path("check-in/<str:token>/", views.check_in, name="check-in"),
]
