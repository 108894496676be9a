from django_tasks import task

from .services import openings_close_expired


@task()
def close_expired_openings():
    """The daily job: close openings whose `closes_on` has passed (also `manage.py close_expired_openings`)."""
    return openings_close_expired()
