from django.urls import path

from . import hr

app_name = "hr"

urlpatterns = [path("", hr.dashboard, name="dashboard")]
