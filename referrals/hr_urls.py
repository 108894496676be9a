from django.urls import path

from analytics import views as analytics_views

from . import hr, hr_bonuses

app_name = "hr"

urlpatterns = [
    path("", hr.dashboard, name="dashboard"),
    path("bonuses/", hr_bonuses.bonus_list, name="bonuses"),
    path("bonuses/export.csv", hr_bonuses.bonus_export, name="bonuses_export"),
    path("bonuses/actions/", hr_bonuses.bonus_bulk, name="bonuses_bulk"),
    path("bonuses/<int:pk>/forfeit/", hr_bonuses.bonus_forfeit, name="bonus_forfeit"),
    path("analytics/<slug:key>.csv", analytics_views.analytics_csv, name="analytics-csv"),
]
