"""A bounded schemathesis run over the whole OpenAPI schema, as a personal token and as an HR
token: no server error and no answer that disagrees with the schema. A few examples per operation
keep it to well under a minute; the full fuzzing belongs to a separate, longer run."""

import time

import pytest
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import ServiceAccount
from accounts.services import token_issue
from tests.openings.factories import OpeningFactory
from tests.referrals.factories import ReferralFactory

EXAMPLES_PER_OPERATION = 5
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


def seed(cast):
    """Rows of every kind the answers describe, including the awkward ones (an erased candidate,
    a failed webhook delivery, a change made by a service, empty optional fields)."""
    from accounts.network import connection_request_send
    from integrations.models import AuditEvent, OutboxEvent, WebhookDelivery, WebhookEndpoint
    from referrals.services import referral_erase_personal_data

    company = OpeningFactory(posted_by=cast["poster"], visibility="company")
    ReferralFactory(opening=company, referrer=cast["direct"])
    erased = ReferralFactory(
        opening=OpeningFactory(posted_by=cast["poster"]), referrer=cast["direct"], status="withdrawn"
    )
    referral_erase_personal_data(referral=erased)
    connection_request_send(sender=cast["stranger"], recipient=cast["direct"], message="Hello")
    endpoint = WebhookEndpoint.objects.create(url="https://ats.example.com/hook", events=["opening.created"])
    event = OutboxEvent.objects.create(type="opening.created", payload={"id": company.pk})
    WebhookDelivery.objects.create(
        event=event,
        endpoint=endpoint,
        status="failed",
        attempts=7,
        next_attempt_at=None,
        last_response_code=500,
        last_error="HTTP 500 Internal Server Error",
    )
    from tests.events.factories import EventFactory, attend

    attend(EventFactory(organiser=cast["poster"]), cast["direct"], cast["poster"])
    EventFactory(organiser=None, location=None, online=True, external_id="LMS-1", source="LMS")
    AuditEvent.objects.create(
        method="PATCH",
        path="/api/v1/employees/1/",
        action="employee.update",
        object_type="employee",
        object_id="1",
        changes={"title": ["a", "b"]},
    )


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Schemathesis calls the WSGI app directly, so each request ends with Django's
    close_old_connections, which closes a connection that is inside a transaction (the test's):
    on PostgreSQL the test would lose its database. Django's own test client disconnects it the
    same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def load_schema():
    import schemathesis

    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


def run_operation(operation, headers, failures):
    strategy = operation.as_strategy()

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def probe(case):
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:  # noqa: BLE001 - schemathesis raises groups; all reported below
            failures.append(f"{operation.label}: {type(error).__name__}: {str(error)[:1500]}")

    probe()


@pytest.mark.django_db(transaction=False)
def test_the_api_keeps_its_schema(cast, capsys):
    seed(cast)
    _, personal = token_issue(user=cast["direct"])
    _, hr = token_issue(service_account=ServiceAccount.objects.create(name="HRIS"), scope="hr")
    schema = load_schema()
    failures, operations, started = [], 0, time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for token in (personal, hr):
            run_operation(operation, {"Authorization": f"Bearer {token}"}, failures)
    with capsys.disabled():
        print(
            f"\nschemathesis: {operations} operations, {EXAMPLES_PER_OPERATION} examples each as 2 callers, "
            f"{len(failures)} failures, {time.monotonic() - started:.1f} s"
        )
    assert failures == [], "\n\n".join(failures)


@pytest.mark.django_db
def test_error_answers_keep_the_schema_too(cast):
    """Answers the random run rarely reaches: the bulk call's errors (by row, or for the whole body)
    and messages nested by position in a list."""
    _, hr = token_issue(service_account=ServiceAccount.objects.create(name="HRIS"), scope="hr")
    headers = {"Authorization": f"Bearer {hr}"}
    schema = load_schema()
    bulk = schema["/api/v1/employees/bulk/"]["POST"]
    webhooks = schema["/api/v1/webhooks/"]["POST"]
    cases = [
        (bulk, {"not": "a list"}, 400),
        (bulk, [{"employee_id": "E1", "email": "nobody", "full_name": "X"}], 400),
        (webhooks, {"url": "https://ats.example.com/hook", "events": ["opening.created", "nope"]}, 400),
    ]
    for operation, body, status in cases:
        response = operation.Case(body=body, media_type="application/json").call_and_validate(
            headers=headers, checks=CHECKS
        )
        assert response.status_code == status, response.text


@pytest.mark.django_db
def test_the_schema_documents_idempotency_keys():
    schema = load_schema().raw_schema
    for path, item in schema["paths"].items():
        for method in ("post", "put", "patch"):
            if method in item:
                names = [p["name"] for p in item[method].get("parameters", [])]
                assert "Idempotency-Key" in names, (path, method)
                assert {"409", "422"} <= set(item[method]["responses"]), (path, method)
