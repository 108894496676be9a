from django.urls import path

from analytics import views as analytics_views

from . import hr

app_name = "hr"

urlpatterns = [
    path("", hr.dashboard, name="dashboard"),
    path("analytics/<slug:key>.csv", analytics_views.analytics_csv, name="analytics-csv"),
]
