from django_tasks import task


@task()
def snapshot_reach():
    """The daily job: store today's reach snapshot (also `manage.py snapshot_reach`)."""
    from .reach import snapshot_take

    snapshot = snapshot_take()
    return {"day": snapshot.day.isoformat(), "employees": snapshot.employees, "reached": snapshot.reached}
