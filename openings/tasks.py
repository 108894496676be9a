from django_tasks import task

from .services import openings_close_expired


@task()
def close_expired_openings():
    """The daily job: close openings whose `closes_on` has passed (also `manage.py close_expired_openings`)."""
    return openings_close_expired()


@task()
def send_digest_batch(week, user_ids, dry_run=False):
    """One batch of the weekly digest, so several worker processes share a large company's week.

    A batch that could not send every digest fails (DigestIncomplete, saying how many), so the
    task result shows it; the next run of `send_weekly_digest` that week retries them.
    """
    from .digest import DigestIncomplete, send_batch

    stats = send_batch(user_ids, week=week, dry_run=dry_run)
    if stats.failed:
        raise DigestIncomplete(
            f"{stats.failed} of {len(user_ids)} digest(s) of {week} could not be sent: {stats.as_result()}"
        )
    return stats.as_result()
