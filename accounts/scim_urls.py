"""/scim/v2/: django-scim2's endpoints, with accounts.scim's views for Users and Groups."""

from django.urls import re_path
from django_scim import views as library

from . import scim

app_name = "scim"

urlpatterns = [
    re_path(r"^$", library.SCIMView.as_view(implemented=False), name="root"),
    re_path(r"^Users/\.search$", scim.UserSearchView.as_view(), name="users-search"),
    re_path(r"^Users(?:/(?P<uuid>[^/]+))?$", scim.UsersView.as_view(), name="users"),
    re_path(r"^Groups(?:/(?P<uuid>[^/]+))?$", scim.GroupsView.as_view(), name="groups"),
    re_path(r"^ServiceProviderConfig$", library.ServiceProviderConfigView.as_view(), name="service-provider-config"),
    re_path(r"^ResourceTypes(?:/(?P<uuid>[^/]+))?$", library.ResourceTypesView.as_view(), name="resource-types"),
    re_path(r"^Schemas(?:/(?P<uuid>[^/]+))?$", library.SchemasView.as_view(), name="schemas"),
    re_path(r"^(?:Me|Bulk|\.search)$", library.SCIMView.as_view(implemented=False), name="not-implemented"),
]
