"""The weekly digest: what appeared in each employee's network, built in batches, sent once.

Content (SPEC.md, "Weekly digest"): the open openings the recipient may see, did not post and that
opened in the last 7 days, ranked direct connections first, then second degree, then newest, at
most ten; their pending connection requests; their referrals whose status changed that week; up to
three people from events they attended ("From events you attended", issue 18); three suggested
counterparts. Nothing new (no opening, request or referral change): no email.

Which openings a recipient may see comes from `visibility.ranked_among`, the batched form of the
one rule, never from a rule restated here.
"""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.core.mail import get_connection
from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone

from accounts.models import ConnectionRequest, User
from accounts.roles import is_employee
from background import leases
from config.mail import render_templated_mail

from .models import DigestDelivery, Opening
from .visibility import ranked_among

MAX_OPENINGS = 10
SUGGESTIONS = 3
WINDOW = dt.timedelta(days=7)
UNSUBSCRIBE_SALT = "openings.digest.unsubscribe"
WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


# --- Weeks -------------------------------------------------------------------------------------


def week_of(moment=None):
    """The ISO week label ("2026-W48") of a moment, in the site's time zone."""
    year, week, _ = timezone.localtime(moment or timezone.now()).isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(label):
    """'2026-W48' -> the Monday it starts on. ValueError with a clear message otherwise."""
    match = WEEK_RE.match(label or "")
    if not match:
        raise ValueError(f"{label!r} is not an ISO week; use the form 2026-W48.")
    year, week = int(match[1]), int(match[2])
    try:
        return dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(f"{label!r} is not a week of {year}.") from None


def as_of_for(week):
    """The moment a week's digest looks back from: now for the current week, else the week's end."""
    if week == week_of():
        return timezone.now()
    monday = parse_week(week)
    end = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time.min)
    return timezone.make_aware(end)


# --- Content -----------------------------------------------------------------------------------


@dataclass
class DigestItem:
    opening: Opening
    degree: int  # 1: posted by a connection, 2: through a connection, 3: company-wide


@dataclass
class Digest:
    user: User
    week: str
    openings: list = field(default_factory=list)
    more: int = 0
    requests: list = field(default_factory=list)
    referral_updates: list = field(default_factory=list)
    suggestions: list = field(default_factory=list)
    # Fellow attendees of events the recipient attended, not yet connected: "From events you attended".
    met_at_events: list = field(default_factory=list)

    @property
    def total_openings(self):
        return len(self.openings) + self.more

    @property
    def is_empty(self):
        """Suggestions alone are not news: without anything new there is no email."""
        return not (self.openings or self.requests or self.referral_updates)

    @property
    def subject(self):
        n = self.total_openings
        if n:
            return f"{n} new opening{'s' if n != 1 else ''} in your network"
        parts = []
        if self.requests:
            parts.append(f"{len(self.requests)} connection request{'s' if len(self.requests) != 1 else ''}")
        if self.referral_updates:
            parts.append(
                f"{len(self.referral_updates)} referral update{'s' if len(self.referral_updates) != 1 else ''}"
            )
        return "Your week: " + " and ".join(parts)


def new_openings(as_of):
    """Open openings first opened in the week before `as_of` (for everyone; filtered per viewer)."""
    return (
        Opening.objects.open().filter(opened_at__gt=as_of - WINDOW, opened_at__lte=as_of).order_by("-opened_at", "-id")
    )


def build_digests(users, *, week, as_of=None):
    """The digests of a batch of recipients, in a fixed number of queries for the whole batch.

    The week's openings are read as four columns each and ranked per recipient by
    `visibility.ranked_among`, and only the ten each email shows are loaded in full: a large
    company posts thousands of openings a week, and a recipient's work follows their network.
    """
    as_of = as_of or as_of_for(week)
    users = list(users)
    ids = [u.pk for u in users]
    sights = ranked_among(new_openings(as_of), users, limit=MAX_OPENINGS, skip_own=True)
    shown = {pk for sight in sights.values() for pk, _degree in sight.best}
    by_pk = (
        Opening.objects.select_related("division", "location", "posted_by")
        .only("title", "division__name", "location__name", "posted_by__full_name")
        .in_bulk(shown)
    )
    requests = {}
    for request in (
        ConnectionRequest.objects.filter(
            recipient_id__in=ids, status=ConnectionRequest.Status.PENDING, sender__is_active=True
        )
        .select_related("sender", "sender__division", "sender__location")
        .order_by("-created_at")
    ):
        requests.setdefault(request.recipient_id, []).append(request)
    updates = _referral_updates(ids, as_of)
    suggestions = _suggestions(users)
    digests = []
    for user in users:
        sight = sights[user.pk]
        digests.append(
            Digest(
                user=user,
                week=week,
                openings=[DigestItem(by_pk[pk], degree) for pk, degree in sight.best],
                more=sight.total - len(sight.best),
                requests=requests.get(user.pk, []),
                referral_updates=updates.get(user.pk, []),
                suggestions=[s for s in suggestions.get(user.pk, []) if s.event is None],
                met_at_events=[s for s in suggestions.get(user.pk, []) if s.event is not None],
            )
        )
    return digests


def _referral_updates(user_ids, as_of):
    from referrals.selectors import referral_updates_for

    updates = {}
    for referral in referral_updates_for(user_ids, after=as_of - WINDOW, until=as_of):
        updates.setdefault(referral.referrer_id, []).append(referral)
    return updates


def _suggestions(users):
    """Up to SUGGESTIONS fellow attendees (with `event`) and SUGGESTIONS counterparts per recipient,
    in the queries of one `suggestions_for_many` batch."""
    from accounts.network.suggestions import suggestions_for_many

    return suggestions_for_many(users, limit=SUGGESTIONS, counterparts_only=True)


def digest_for(user, *, week=None):
    """One employee's digest (the preview page and `--user`)."""
    week = week or week_of()
    return build_digests([user], week=week)[0]


# --- The email ---------------------------------------------------------------------------------


def unsubscribe_token(user):
    return signing.dumps({"u": user.pk}, salt=UNSUBSCRIBE_SALT, compress=True)


def user_from_unsubscribe_token(token):
    """The employee a token was made for, or None when it was tampered with, is older than
    UNSUBSCRIBE_LINK_MAX_AGE_DAYS (signed tokens carry their time), or names an employee who is no
    longer active: a leaver's old emails change nothing."""
    try:
        data = signing.loads(
            token, salt=UNSUBSCRIBE_SALT, max_age=dt.timedelta(days=settings.UNSUBSCRIBE_LINK_MAX_AGE_DAYS)
        )
    except signing.BadSignature:  # SignatureExpired included
        return None
    return User.objects.active().filter(pk=data.get("u")).first() if isinstance(data, dict) else None


def unsubscribe_url(user):
    return settings.SITE_URL + reverse("digest:unsubscribe", args=[unsubscribe_token(user)])


def render_digest(digest):
    """The message: HTML and text parts, links through SITE_URL, one-click unsubscribe (RFC 8058)."""
    url = unsubscribe_url(digest.user)
    return render_templated_mail(
        to=digest.user.email,
        template="emails/digest",
        context={"digest": digest, "unsubscribe_url": url, "subject": digest.subject},
        headers={"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


# --- Sending exactly once ----------------------------------------------------------------------


def recipients():
    """Active employees who keep the digest on."""
    return User.objects.active().filter(digest_enabled=True).order_by("pk")


@dataclass
class RunStats:
    considered: int = 0
    sent: int = 0
    empty: int = 0
    skipped: int = 0
    held: int = 0
    failed: int = 0
    failures: list = field(default_factory=list)

    def as_result(self):
        return {
            "sent": self.sent,
            "empty": self.empty,
            "skipped": self.skipped,
            "held": self.held,
            "failed": self.failed,
        }


class DigestIncomplete(Exception):
    """A run or batch that could not send every digest it took: the task result says how many."""


def week_is_over(week):
    """A week's digests go out during that ISO week only: afterwards their news is stale."""
    return parse_week(week) + dt.timedelta(days=7) <= timezone.localdate()


def _claim(users, week, holder):
    """Take the deliveries of `users` this week that are not sent and that no live run holds.

    Rows are created first (pending) so that every recipient's state is visible in the admin; a
    row whose lease ran out (its run died) or whose send failed is taken again.
    """
    DigestDelivery.objects.bulk_create(
        [DigestDelivery(user_id=u.pk, week=week, status=DigestDelivery.Status.PENDING) for u in users],
        ignore_conflicts=True,
    )
    due = DigestDelivery.objects.filter(week=week, user_id__in=[u.pk for u in users]).exclude(
        status=DigestDelivery.Status.SENT
    )
    ids = leases.claim(due, holder=holder, status=DigestDelivery.Status.CLAIMED, attempts=F("attempts") + 1, error="")
    return dict(DigestDelivery.objects.filter(pk__in=ids).values_list("user_id", "pk"))


def send_batch(user_ids, *, week, dry_run=False, stats=None, out=None):
    """Build and send the digests of one batch of recipients, each leased before it is sent.

    Employees with nothing new get no row (a later run that week may find news for them). A
    delivery another live run holds is left to it (`held`). A send that raises is released as
    failed for the next run to retry; a run that dies keeps its leases until they expire, and
    the next run sends those. The one window for a duplicate is the SMTP exchange itself: a
    message the server accepted just before the process died, whose "sent" mark never committed.
    A week that is over sends nothing (`skipped`).
    """
    stats = stats or RunStats()
    users = list(recipients().filter(pk__in=user_ids).select_related("division", "location"))
    stats.considered += len(users)
    if not users:
        return stats
    if week_is_over(week) and not dry_run:
        stats.skipped += len(users)
        return stats
    sent = set(
        DigestDelivery.objects.filter(
            week=week, user_id__in=[u.pk for u in users], status=DigestDelivery.Status.SENT
        ).values_list("user_id", flat=True)
    )
    todo = [u for u in users if u.pk not in sent]
    stats.skipped += len(users) - len(todo)
    digests = [d for d in build_digests(todo, week=week) if not d.is_empty]
    stats.empty += len(todo) - len(digests)
    if dry_run:
        for digest in digests:
            if out:
                out(f"would send to {digest.user.email}: {digest.subject}")
        stats.sent += len(digests)
        return stats
    if not digests:
        return stats
    holder = leases.holder_name()
    claimed = _claim([d.user for d in digests], week, holder)
    stats.held += len(digests) - len(claimed)
    renewer = leases.Renewer(DigestDelivery, claimed.values(), holder=holder)
    # One SMTP session for the batch: a connection and greeting per message cost as much as the
    # message itself. Each message is still sent and marked on its own, so the duplicate window
    # stays one message wide; a failed send drops the session and the next message opens a new one.
    mailer = get_connection()
    try:
        _send_claimed(digests, claimed, holder, renewer, mailer, stats)
    finally:
        _hang_up(mailer)
    return stats


def _hang_up(mailer):
    """Close the batch's SMTP session; a session the server already dropped is simply gone."""
    try:
        mailer.close()
    except Exception:  # noqa: BLE001 - closing a broken session must not hide the send's own outcome
        mailer.connection = None


def _send_claimed(digests, claimed, holder, renewer, mailer, stats):
    """Send each digest this run holds and mark it sent while still holding it (see send_batch)."""
    for digest in digests:
        pk = claimed.get(digest.user.pk)
        if pk is None:
            continue
        mine = DigestDelivery.objects.filter(pk=pk, holder=holder)
        try:
            renewer()
            message = render_digest(digest)
            mailer.open()  # a no-op while the session is up; after a failure, a new session
            message.connection = mailer
            message.send()  # the duplicate window: accepted by the server, "sent" not yet committed
        except Exception as error:  # noqa: BLE001 - any mail failure is recorded and retried
            _hang_up(mailer)
            mine.update(
                status=DigestDelivery.Status.FAILED,
                holder="",
                lease_until=None,
                error=f"{type(error).__name__}: {error}"[:2000],
            )
            stats.failed += 1
            stats.failures.append((digest.user.email, str(error)))
            renewer.done(pk)
            continue
        except BaseException:
            # Interrupted (Ctrl-C, a stopping worker): the message in flight may have been
            # accepted, so its lease stays to run out; the ones not yet started are released now.
            renewer.done(pk)
            DigestDelivery.objects.filter(
                pk__in=renewer.ids, holder=holder, status=DigestDelivery.Status.CLAIMED
            ).update(status=DigestDelivery.Status.PENDING, holder="", lease_until=None)
            raise
        mine.update(
            status=DigestDelivery.Status.SENT,
            sent_at=timezone.now(),
            openings_count=digest.total_openings,
            holder="",
            lease_until=None,
        )
        renewer.done(pk)
        stats.sent += 1


def recipients_for(email=None):
    """Who this run writes to: `recipients()`, or only the employee with `email` (any case).

    Raises ValueError, with a sentence for the operator, when no employee has that email or theirs
    is deactivated or has the digest switched off.
    """
    everyone = recipients()
    if not email:
        return everyone
    match = User.objects.filter(email__iexact=email.strip()).first()
    if match is None:
        raise ValueError(f"No employee with the email {email!r}.")
    if not is_employee(match) or not match.digest_enabled:
        raise ValueError(f"{match.email} is deactivated or has the digest switched off.")
    return everyone.filter(pk=match.pk)


def batches_of(user_ids, size):
    """`user_ids` cut into lists of at most `size`: the recipients built (or queued) together."""
    if size < 1:
        raise ValueError("--batch-size must be at least 1.")
    user_ids = list(user_ids)
    return [user_ids[i : i + size] for i in range(0, len(user_ids), size)]


def enqueue_batches(batches, *, week, dry_run=False):
    """Queue one `send_digest_batch` task per batch for the db_worker processes; returns how many.

    Each task claims its recipients with an expiring lease (see `send_batch`), so a batch whose
    worker dies is taken again by the next run of the week.
    """
    from .tasks import send_digest_batch

    for batch in batches:
        send_digest_batch.enqueue(week=week, user_ids=batch, dry_run=dry_run)
    return len(batches)


def week_counts(week):
    """How `week`'s deliveries stand so far: {status: count}, so that failures of earlier runs are not silent."""
    return dict(
        DigestDelivery.objects.filter(week=week).values("status").annotate(n=Count("pk")).values_list("status", "n")
    )
