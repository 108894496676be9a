"""Background work of the integrations: webhook deliveries, run by the tasks worker."""

from django_tasks import task


@task()
def deliver_webhook(delivery_id):
    """One attempt at one webhook delivery (integrations.webhooks.delivery_attempt).

    Takes an id, never an object: the worker loads the current row, so a delivery already sent by
    `deliver_webhooks` or replayed meanwhile is not sent twice.
    """
    from .webhooks import delivery_attempt

    delivery = delivery_attempt(delivery_id)
    return delivery.status if delivery is not None else None


@task()
def prune_idempotency_records():
    """Forget idempotency keys older than IDEMPOTENCY_KEY_TTL_HOURS (also `manage.py deliver_webhooks --prune`)."""
    from .idempotency import idempotency_prune

    return idempotency_prune()
