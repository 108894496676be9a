"""Leases: how a row of work is taken by one process at a time, and given up when it dies.

The rule (STYLE.md, "work that must happen once"): a process takes a batch of rows whose lease has
passed with `select_for_update(skip_locked=True, of=("self",))`, writes its `holder` name and a new
`lease_until`, commits, does the work, and marks each row done only while it still holds it. A
process that dies holds nothing after `lease_until`; the next run or sweep takes the row again.
A live process renews its leases before each external call, so it never loses one it is using.

On SQLite `skip_locked` is ignored; SQLite serialises writing transactions (IMMEDIATE mode), so
the claim is still taken by one process at a time.
"""

import os
import socket
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

_HOLDER = None


def holder_name():
    """This process's name in `holder` columns: host, pid and a random part (pids are reused)."""
    global _HOLDER
    if _HOLDER is None or not _HOLDER.startswith(f"{socket.gethostname()[:40]}:{os.getpid()}:"):
        _HOLDER = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    return _HOLDER


def lease_length():
    """LEASE_SECONDS: how long a claimed digest or email stays with its process without a renewal."""
    return timedelta(seconds=settings.LEASE_SECONDS)


def free(now):
    """Rows nobody holds: never claimed, released, or whose holder's lease has run out."""
    return Q(lease_until__isnull=True) | Q(lease_until__lt=now)


def claim(queryset, *, holder=None, limit=None, now=None, **changes):
    """Take the rows of `queryset` whose lease has passed; returns their primary keys.

    Locked rows are skipped (another process is claiming them this instant). The claim commits
    before the caller does any work, so a crash afterwards leaves a lease that expires.
    """
    now = now or timezone.now()
    holder = holder or holder_name()
    with transaction.atomic():
        rows = (
            queryset.filter(free(now))
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        ids = list(rows[:limit] if limit else rows)
        if ids:
            queryset.model.objects.filter(pk__in=ids).update(holder=holder, lease_until=now + lease_length(), **changes)
    return ids


def renew(model, ids, *, holder=None, now=None):
    """Push the lease of the rows this process still holds further out; returns how many it holds."""
    now = now or timezone.now()
    return model.objects.filter(pk__in=ids, holder=holder or holder_name()).update(lease_until=now + lease_length())


class Renewer:
    """Renews a set of leases when less than half of the lease is left, before each external call."""

    def __init__(self, model, ids, *, holder=None):
        self.model, self.ids, self.holder = model, list(ids), holder or holder_name()
        self.renew_at = timezone.now() + lease_length() / 2

    def __call__(self):
        now = timezone.now()
        if now >= self.renew_at and self.ids:
            renew(self.model, self.ids, holder=self.holder, now=now)
            self.renew_at = now + lease_length() / 2

    def done(self, pk):
        try:
            self.ids.remove(pk)
        except ValueError:
            pass
