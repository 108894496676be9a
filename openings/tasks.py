from django_tasks import task

from .services import openings_close_expired


@task()
def close_expired_openings():
    """The daily job: close openings whose `closes_on` has passed (also `manage.py close_expired_openings`)."""
    return openings_close_expired()


@task()
def send_digest_batch(week, user_ids, dry_run=False):
    """One batch of the weekly digest, so several db_worker processes share a large company's week."""
    from .digest import send_batch

    stats = send_batch(user_ids, week=week, dry_run=dry_run)
    return {"sent": stats.sent, "empty": stats.empty, "skipped": stats.skipped, "failed": stats.failed}
