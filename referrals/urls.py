from django.urls import path

from . import views

app_name = "referrals"

urlpatterns = [
    path("referrals/", views.referral_list, name="list"),
    path("referrals/all/", views.referral_all, name="all"),
    path("referrals/<int:pk>/", views.referral_detail, name="detail"),
    path("referrals/<int:pk>/move/", views.referral_move, name="move"),
    path("referrals/<int:pk>/withdraw/", views.referral_withdraw, name="withdraw"),
    path("referrals/<int:pk>/start-date/", views.referral_start_date, name="start_date"),
    path("openings/<int:pk>/refer/", views.referral_create, name="refer"),
    path("openings/<int:pk>/interested/", views.interest_create, name="interested"),
]
