from django.urls import path

from . import views

app_name = "network"

urlpatterns = [
    path("network/", views.network_home, name="home"),
    path("network/requests/<int:pk>/accept/", views.request_accept, name="request-accept"),
    path("network/requests/<int:pk>/decline/", views.request_decline, name="request-decline"),
    path("network/requests/<int:pk>/withdraw/", views.request_withdraw, name="request-withdraw"),
    path("people/", views.people, name="people"),
    path("people/<int:pk>/", views.profile, name="profile"),
    path("people/<int:pk>/connect/", views.connect, name="connect"),
    path("people/<int:pk>/remove/", views.connection_remove, name="remove"),
    path("people/<int:pk>/dismiss/", views.suggestion_dismiss, name="dismiss"),
    path("people/<int:pk>/restore/", views.suggestion_restore, name="restore"),
]
