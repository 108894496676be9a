from django.core.management.base import BaseCommand, CommandError

from accounts.models import ApiToken, ServiceAccount, User
from accounts.roles import is_employee
from accounts.services import token_issue


class Command(BaseCommand):
    help = (
        "Issue an API token. `issue_token EMAIL` creates a personal token acting as that employee; "
        "`issue_token --service NAME --scope hr` creates a service-account token. "
        "The token is printed once, alone, as the last line."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", nargs="?", help="The employee the personal token acts as.")
        parser.add_argument("--service", help="Service account name (created if missing).")
        parser.add_argument(
            "--scope",
            choices=[s for s in ApiToken.Scope.values if s],
            help="Scope of a service token: hr (read and write), hr:read, hr:write, or scim (an identity provider's SCIM client).",
        )
        parser.add_argument("--name", default="", help="A label to recognise the token later.")

    def handle(self, *args, email=None, service=None, scope=None, name="", **options):
        if bool(email) == bool(service):
            raise CommandError("Give either an employee EMAIL or --service NAME (not both).")
        if email:
            if scope:
                raise CommandError("A personal token acts as its employee and takes no --scope.")
            user = User.objects.filter(email__iexact=email.strip()).first()
            if user is None:
                raise CommandError(f"No employee with the email {email!r}.")
            if not is_employee(user):
                raise CommandError(f"{email} is deactivated; a token for them would not work.")
            token, plain = token_issue(user=user, name=name)
            self.stdout.write(
                f"Personal token for {user.email} (prefix {token.key_prefix}). Store it now: it is not shown again."
            )
        else:
            if not scope:
                raise CommandError("A service token needs --scope (hr, hr:read, hr:write or scim).")
            account, created = ServiceAccount.objects.get_or_create(name=service.strip())
            if not account.is_active:
                raise CommandError(f"The service account {account.name!r} is disabled.")
            token, plain = token_issue(service_account=account, scope=scope, name=name)
            self.stdout.write(
                f"Service token for {account.name} with scope {scope} (prefix {token.key_prefix})"
                f"{' - service account created' if created else ''}. Store it now: it is not shown again."
            )
        self.stdout.write(plain)
