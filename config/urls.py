from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from accounts import api as accounts_api
from accounts import views as accounts_views
from accounts.network import api as network_api
from analytics import api as analytics_api
from events import api as events_api
from integrations import api as integrations_api
from openings import api as openings_api
from referrals import api as referrals_api
from referrals import bonus_api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("divisions", accounts_api.DivisionViewSet, basename="division")
router.register("locations", accounts_api.LocationViewSet, basename="location")
router.register("employees", accounts_api.EmployeeViewSet, basename="employee")
router.register("openings", openings_api.OpeningViewSet, basename="opening")
router.register("referrals", referrals_api.ReferralViewSet, basename="referral")
router.register("bonuses", bonus_api.BonusViewSet, basename="bonus")

api_v1 = [
    path("me/", accounts_api.MeView.as_view(), name="api-me"),
    *integrations_api.urlpatterns(),  # before the router: "employees/bulk/" is not an employee id
    *events_api.urlpatterns(),
    *analytics_api.urlpatterns(),
    *router.urls,
    *network_api.urlpatterns,
]

admin.site.site_header = "Referral Board administration"
admin.site.site_title = "Referral Board admin"
admin.site.index_title = "HR administration"

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("accounts.network.urls")),
    path("openings/", include("openings.urls")),
    path("events/", include("events.urls")),
    path("", include("referrals.urls")),
    path("digest/", include("openings.digest_urls")),
    path("hr/", include("referrals.hr_urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("scim/v2/", include("accounts.scim_urls", namespace="scim")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("healthz/", accounts_views.healthz, name="healthz"),
]

handler403 = "accounts.views.permission_denied"
handler404 = "accounts.views.page_not_found"
handler500 = "accounts.views.server_error"

if settings.DEBUG:
    urlpatterns += [path("404/", accounts_views.page_not_found, {"exception": None})]
