"""The identity a service token authenticates as: not an employee, only its scope's permissions."""


class ServicePrincipal:
    """Stands in for `request.user` on a service token.

    It is authenticated and active, is nobody's connection, posts nothing, and holds exactly the
    permissions its token's scope grants (accounts.roles.SCOPE_PERMISSIONS).
    """

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    is_service = True
    pk = None
    id = None

    def __init__(self, service_account, token):
        from .roles import SCOPE_PERMISSIONS

        self.service_account = service_account
        self.token = token
        self._perms = frozenset(SCOPE_PERMISSIONS.get(token.scope, ()))

    def __str__(self):
        return f"service:{self.service_account.name}"

    @property
    def email(self):
        return ""

    @property
    def full_name(self):
        return self.service_account.name

    def has_perm(self, perm, obj=None):
        return perm in self._perms

    def has_perms(self, perm_list, obj=None):
        return all(self.has_perm(p) for p in perm_list)

    def get_all_permissions(self, obj=None):
        return set(self._perms)
