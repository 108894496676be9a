import hashlib
import secrets

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Greatest, Least, Lower
from django.utils import timezone

from config.text import refuse_invisible_controls


class OrgUnit(models.Model):
    """A division or a location: referenced by its `code` everywhere outside the database."""

    code = models.SlugField(max_length=32, unique=True, help_text="Stable code used by the HRIS and the API.")
    name = models.CharField(max_length=120, validators=[refuse_invisible_controls])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name


class Division(OrgUnit):
    pass


class Location(OrgUnit):
    country = models.CharField(
        max_length=2,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]{2}$", "Enter an ISO 3166 country code of two capital letters, e.g. DE.")],
        help_text="ISO 3166 code (e.g. DE): its public holidays are not working days for referral reminders.",
    )


class Skill(models.Model):
    """A skill tag employees put on their profile, stored once for everyone who has it.

    `key` is the comparison form (trimmed, inner spaces collapsed, case-folded: "Sql " and "SQL"
    are one skill); `name` is how it is shown, the spelling of whoever used it first. A table
    (rather than a JSON list on the employee) because filtering people by a skill, counting the
    most used ones and finding skills in common are indexed joins on SQLite and PostgreSQL alike,
    where JSON containment is not portable. The rules are accounts.services.skills_clean.
    """

    name = models.CharField(max_length=40)
    key = models.CharField(max_length=40, unique=True)

    class Meta:
        ordering = ["key"]

    def __str__(self):
        return self.name


class UserQuerySet(models.QuerySet):
    def active(self):
        """Employees who may sign in and who count in the network; leavers drop out of everything."""
        return self.filter(is_active=True)

    def leavers(self):
        """Deactivated employees: few next to the company, so rules exclude them as a small set."""
        return self.filter(is_active=False)

    def directory(self):
        return self.active().select_related("division", "location")


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An employee needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        if password:
            user.set_password(password)
        else:
            # Provisioned employees set their password through the password-reset email.
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """An employee. The email address is the login; there are no usernames."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, validators=[refuse_invisible_controls])
    employee_id = models.CharField(
        max_length=64, unique=True, null=True, blank=True, help_text="The HRIS identifier, unique when given."
    )
    title = models.CharField(max_length=150, blank=True, validators=[refuse_invisible_controls])
    job_function = models.CharField(max_length=100, blank=True, db_index=True, validators=[refuse_invisible_controls])
    division = models.ForeignKey(Division, null=True, blank=True, on_delete=models.PROTECT, related_name="employees")
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT, related_name="employees")
    manager = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    is_active = models.BooleanField(default=True, help_text="Unticked for leavers: they can no longer sign in.")
    is_staff = models.BooleanField(default=False, help_text="May use the admin site (HR staff).")
    date_joined = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    # The profile the employee writes themselves (/settings/profile/); skills may also come from the HRIS.
    what_i_do = models.CharField("What I do", max_length=600, blank=True, validators=[refuse_invisible_controls])
    skills = models.ManyToManyField(Skill, through="EmployeeSkill", blank=True, related_name="employees")
    open_to_talk = models.BooleanField(
        "Happy to talk about my role",
        default=False,
        help_text="Open to informational conversations with curious colleagues (not a job application).",
    )

    # Preferences shown on /settings/.
    notify_connection_requests = models.BooleanField(
        default=True, help_text="Email me about connection requests and accepted requests."
    )
    notify_referrals = models.BooleanField(default=True, help_text="Email me about referrals and their progress.")
    digest_enabled = models.BooleanField(default=True, help_text="Send me the weekly digest of new openings.")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "id"]
        verbose_name = "employee"
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]
        indexes = [
            # The directory (/people/) pages active employees by name: without this a page of
            # 24 sorts the whole company.
            models.Index(fields=["full_name", "id"], condition=Q(is_active=True), name="user_directory_idx"),
            # The visibility rule leaves leavers out of every network link by this small set.
            models.Index(fields=["id"], condition=Q(is_active=False), name="user_leavers_idx"),
            # Counterpart suggestions walk one job function from a pivot id.
            models.Index(fields=["job_function", "id"], condition=Q(is_active=True), name="user_function_walk_idx"),
            # An opening's reach by place: the company's headcount and the people reached (looked
            # up by id) are counted from this index alone rather than from every employee row.
            models.Index(
                fields=["id", "division", "location"], condition=Q(is_active=True), name="user_active_place_idx"
            ),
        ]
        permissions = [("manage_employees", "Can provision, change and deactivate employees")]

    def __str__(self):
        return self.full_name or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()
        if self.employee_id == "":
            self.employee_id = None

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email

    def _get_session_auth_hash(self, secret=None):
        # Django signs sessions with the password hash alone; the sign-in address is part of the
        # identity too, so changing it ends every open session of the account (on its next request).
        from django.utils.crypto import salted_hmac

        key_salt = "accounts.User.session_auth_hash"
        return salted_hmac(
            key_salt, f"{self.password}\x00{self.email.lower()}", secret=secret, algorithm="sha256"
        ).hexdigest()

    @property
    def skill_names(self):
        """The skills' display names in their canonical order (prefetch `skills` for lists; a batch
        that already read them, such as the suggestions, sets `_skill_names` instead)."""
        preset = self.__dict__.get("_skill_names")
        if preset is not None:
            return preset
        return [skill.name for skill in self.skills.all()]

    @property
    def initials(self):
        parts = [p for p in self.full_name.split() if p]
        return "".join(p[0] for p in parts[:2]).upper() or self.email[:1].upper()


class EmployeeSkill(models.Model):
    employee = models.ForeignKey(User, on_delete=models.CASCADE, related_name="skill_links")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["employee", "skill"], name="employee_skill_unique")]
        # "/people/?skill=" and "skills in common" go from a skill to its employees.
        indexes = [models.Index(fields=["skill", "employee"], name="employee_skill_reverse_idx")]

    def __str__(self):
        return f"{self.employee_id} · {self.skill_id}"


class ServiceAccount(models.Model):
    """A system (HRIS, ATS) that calls the API with a service token rather than as an employee."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ApiTokenQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A bearer token. Only a SHA-256 hash is stored: the plain token is shown once, at creation.

    A personal token acts as its employee (same visibility as the portal); a service token belongs
    to a service account and carries a scope.
    """

    PREFIX = "rb_"

    class Scope(models.TextChoices):
        NONE = "", "None (personal)"
        HR = "hr", "hr (read and write)"
        HR_READ = "hr:read", "hr:read"
        HR_WRITE = "hr:write", "hr:write"
        SCIM = "scim", "scim (an identity provider's SCIM provisioning)"

    name = models.CharField(max_length=100, blank=True)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="api_tokens")
    service_account = models.ForeignKey(
        ServiceAccount, null=True, blank=True, on_delete=models.CASCADE, related_name="tokens"
    )
    scope = models.CharField(max_length=16, choices=Scope.choices, blank=True)
    key_prefix = models.CharField(max_length=16, editable=False, help_text="The first characters, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False, service_account__isnull=True, scope=""))
                | Q(user__isnull=True, service_account__isnull=False),
                name="apitoken_exactly_one_owner",
            )
        ]

    def __str__(self):
        return f"{self.key_prefix}… ({self.owner_label})"

    @property
    def owner_label(self):
        return str(self.user or self.service_account)

    @property
    def is_revoked(self):
        return self.revoked_at is not None

    @staticmethod
    def hash_key(plain):
        return hashlib.sha256(plain.encode()).hexdigest()

    @classmethod
    def generate_plain(cls):
        return cls.PREFIX + secrets.token_urlsafe(32)


class DirectoryGroup(models.Model):
    """A group pushed by the identity provider through SCIM (/scim/v2/Groups).

    Groups are kept as the IdP sends them and grant nothing by themselves; only a group named in
    SCIM_HR_GROUPS makes its members HR (accounts.services.employee_sync_hr_from_groups).
    """

    name = models.CharField(max_length=255, unique=True)
    external_id = models.CharField(max_length=255, blank=True)
    members = models.ManyToManyField(User, blank=True, related_name="directory_groups")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


# --- The network ------------------------------------------------------------------------------


class ConnectionQuerySet(models.QuerySet):
    """The one spelling of "active connection" and "degree" (SPEC.md, "Visibility" and the network).

    A connection links two people only while both ends are active employees: a leaver links
    nobody. Activity is always tested against the few leavers (`User.objects.leavers()`, a small
    hashed set probed once, served by `user_leavers_idx`), never by joining the employee table on
    every connection row: at 100,000 employees those joins were random reads costing more than
    the rest of the query. Every caller (visibility, the network, the HR dashboard) asks here.
    """

    @staticmethod
    def _leaver_ids() -> models.QuerySet:
        return User.objects.leavers().values("pk")

    def to_active(self) -> "ConnectionQuerySet":
        """Rows whose far end (`to_user`) is an active employee.

        For rows read from a near end the caller already knows to be active (the viewer, a
        poster checked first, or a middle taken from `direct_ids`).
        """
        return self.exclude(to_user_id__in=self._leaver_ids())

    def from_active(self) -> "ConnectionQuerySet":
        """Rows whose near end (`from_user`) is an active employee (the far end is the caller's)."""
        return self.exclude(from_user_id__in=self._leaver_ids())

    def active(self) -> "ConnectionQuerySet":
        """Active connections: accepted links whose both ends are active employees."""
        return self.from_active().to_active()

    def links_of(self, user_id: int) -> "ConnectionQuerySet":
        """`user_id`'s rows to active employees: one range scan of the (from_user, to_user) index.

        `user_id` itself is not checked: the caller has (a leaver's reads stop before this).
        """
        return self.filter(from_user_id=user_id).to_active()

    def direct_ids(self, user_id: int) -> "models.QuerySet":
        """Subquery of the ids of `user_id`'s degree-1 people: active employees with an accepted
        connection to `user_id` (who is assumed active, as in `links_of`)."""
        return self.links_of(user_id).values("to_user_id")

    def second_degree_ids(self, user_id: int) -> "models.QuerySet":
        """Subquery of the ids of active employees connected to one of `user_id`'s active
        connections: degree 2, before removing `user_id` and their degree-1 people (callers do).

        The middle is active because it comes from `direct_ids`; the far end is checked here.
        Index-only range scans on (from_user, to_user), one per connection of `user_id`: the cost
        follows the size of `user_id`'s network, not of the company.
        """
        return self.filter(from_user_id__in=self.direct_ids(user_id)).to_active().values("to_user_id")


class Connection(models.Model):
    """An accepted connection, stored once in each direction.

    Two rows per pair (A→B and B→A) make every question an index lookup on (from_user, to_user):
    "my connections" is from_user=me; "are A and B connected" is one primary-key-like probe;
    "mutual connections" is a join of two from_user ranges; "second degree" is the to_user of rows
    whose from_user is one of my connections. The rows of a pair are written and deleted together
    in one transaction by the network functions, never one alone.
    """

    from_user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="connections_out")
    to_user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="connections_in")
    created_at = models.DateTimeField(default=timezone.now)
    # The event where the two met, carried over from the request that made the connection.
    met_at = models.ForeignKey("events.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = ConnectionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_user", "to_user"], name="connection_pair_unique"),
            models.CheckConstraint(condition=~Q(from_user=F("to_user")), name="connection_not_self"),
        ]
        indexes = [models.Index(fields=["to_user", "from_user"], name="connection_reverse_idx")]

    def __str__(self):
        return f"{self.from_user_id} ↔ {self.to_user_id}"


class ConnectionRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    sender = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sent_requests")
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="received_requests")
    message = models.CharField(max_length=300, blank=True, validators=[refuse_invisible_controls])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    # Sent from an event both people attended ("Met at …"); kept on the connection when accepted.
    met_at = models.ForeignKey("events.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One pending request per pair, whichever way round: two simultaneous requests
            # cannot both be inserted, the database refuses the second.
            models.UniqueConstraint(
                Least("sender", "recipient"),
                Greatest("sender", "recipient"),
                condition=Q(status="pending"),
                name="connection_request_one_pending_per_pair",
            ),
            models.CheckConstraint(condition=~Q(sender=F("recipient")), name="connection_request_not_self"),
        ]
        indexes = [
            models.Index(fields=["recipient", "status"], name="conn_request_recipient_idx"),
            models.Index(fields=["sender", "status", "created_at"], name="conn_request_sender_idx"),
        ]

    def __str__(self):
        return f"{self.sender_id} → {self.recipient_id} ({self.status})"


class SuggestionDismissal(models.Model):
    """A "Not now" on a suggested counterpart hides them from that employee's suggestions for good."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="dismissed_suggestions")
    dismissed = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "dismissed"], name="suggestion_dismissal_unique")]

    def __str__(self):
        return f"{self.user_id} dismissed {self.dismissed_id}"
