"""Webhooks stay in their lane: public destinations only (checked at creation and at every attempt,
after DNS resolution), no receiver's body kept, the subscriber's read scope checked when subscribing,
when sending and on replay, and secrets shown once from the server, never in the messages cookie."""

import pytest

from accounts.models import ApiToken, ServiceAccount
from accounts.services import token_revoke
from integrations import webhooks
from integrations.destinations import DestinationRefused, resolve_destination
from integrations.models import WebhookDelivery, WebhookEndpoint
from openings.services import opening_create
from tests.factories import DivisionFactory, LocationFactory

INTERNAL = [
    "http://127.0.0.1:8080/hook",
    "http://127.1.2.3/hook",
    "http://[::1]/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/hook",
    "http://172.16.5.4/hook",
    "http://192.168.1.10/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0/hook",
    "http://localhost/hook",
    "http://metadata.google.internal/computeMetadata/v1/",
]


@pytest.fixture
def org(db):
    return DivisionFactory(code="finance"), LocationFactory(code="berlin")


@pytest.fixture
def post_an_opening(django_capture_on_commit_callbacks, poster, org):
    """Post an opening and run what its commit triggers (the webhook attempts)."""
    division, location = org

    def post():
        with django_capture_on_commit_callbacks(execute=True):
            return opening_create(
                posted_by=poster, title="Data Engineer", description="Pipelines.", division=division, location=location
            )

    return post


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_destinations_are_refused_at_creation(service_api, settings, url):
    settings.WEBHOOK_ALLOWED_NETWORKS = []

    response = service_api("hr").post("/api/v1/webhooks/", {"url": url, "events": ["opening.created"]}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["url"]
    assert not WebhookEndpoint.objects.exists()


def test_loopback_needs_the_setting(service_api, settings, receiver):
    """The tests' receiver on 127.0.0.1 works only because the test settings allow that network."""
    body = {"url": receiver.url, "events": ["opening.created"]}
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    assert service_api("hr").post("/api/v1/webhooks/", body, format="json").status_code == 400
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    assert service_api("hr").post("/api/v1/webhooks/", body, format="json").status_code == 201


def test_a_host_may_be_allowed_by_name(settings, receiver):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    settings.WEBHOOK_ALLOWED_HOSTS = ["localhost"]
    url = receiver.url.replace("127.0.0.1", "localhost")

    assert resolve_destination(url)
    with pytest.raises(DestinationRefused):
        resolve_destination(receiver.url)  # the address itself is still not allowed


def test_every_attempt_checks_the_destination_again(settings, receiver, post_an_opening):
    endpoint = webhooks.endpoint_create(url=receiver.url, events=["opening.created"])
    settings.WEBHOOK_ALLOWED_NETWORKS = []  # the network was allowed then; it is not any more

    post_an_opening()

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert receiver.requests == []
    assert delivery.status == WebhookDelivery.Status.PENDING and delivery.attempts == 1
    assert delivery.last_error.startswith("Refused destination: 127.0.0.1 is a loopback, private")


def test_a_name_is_checked_after_resolution(settings, receiver, post_an_opening):
    endpoint = webhooks.endpoint_create(url=receiver.url, events=["opening.created"])
    # The stored name resolves to loopback: refused at the attempt although it is not a literal address.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=receiver.url.replace("127.0.0.1", "localhost"))
    settings.WEBHOOK_ALLOWED_NETWORKS = []

    post_an_opening()

    assert receiver.requests == []
    assert "127.0.0.1 is a loopback" in WebhookDelivery.objects.get().last_error


def test_a_failed_attempt_keeps_the_status_and_reason_never_the_body(service_api, receiver, post_an_opening):
    hr_api = service_api("hr")
    endpoint_id = hr_api.post(
        "/api/v1/webhooks/", {"url": receiver.url, "events": ["opening.created"]}, format="json"
    ).json()["id"]
    receiver.status = 500
    receiver.body = b"root:x:0:0 internal-only secrets"

    post_an_opening()

    delivery = WebhookDelivery.objects.get()
    assert len(receiver.requests) == 1
    assert (delivery.last_response_code, delivery.last_error) == (500, "HTTP 500 Internal Server Error")
    served = hr_api.get(f"/api/v1/webhooks/{endpoint_id}/deliveries/").content.decode()
    assert "internal-only" not in served


# --- Scopes -------------------------------------------------------------------------------------


def test_a_subscription_needs_the_read_scope_of_each_event(service_api, receiver):
    write_only = service_api("hr:write")
    body = {"url": receiver.url, "events": ["opening.created", "referral.created"]}

    refused = write_only.post("/api/v1/webhooks/", body, format="json")
    created = service_api("hr").post("/api/v1/webhooks/", body, format="json")
    widened = write_only.patch(
        f"/api/v1/webhooks/{created.json()['id']}/", {"events": ["employee.deactivated"]}, format="json"
    )

    assert refused.status_code == 400
    assert refused.json()["fields"]["events"] == [
        "Receiving opening.created, referral.created needs the read scope of those events (hr:read or hr, or an HR employee)."
    ]
    assert created.status_code == 201
    assert widened.status_code == 400
    assert WebhookEndpoint.objects.get().events == ["opening.created", "referral.created"]


def test_the_scope_is_checked_again_when_events_go_out(service_api, receiver, post_an_opening):
    hr_api = service_api("hr")
    hr_api.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["opening.created"]}, format="json")
    post_an_opening()
    assert len(receiver.requests) == 1

    token_revoke(token=ApiToken.objects.get(pk=hr_api.token.pk))
    post_an_opening()

    assert len(receiver.requests) == 1
    last = WebhookDelivery.objects.order_by("-id").first()
    assert last.status == WebhookDelivery.Status.FAILED
    assert last.last_error == "The subscriber may no longer read this event type."


def test_an_employee_who_leaves_hr_stops_receiving(api_as, hr, receiver, post_an_opening):
    api_as(hr).post("/api/v1/webhooks/", {"url": receiver.url, "events": ["opening.created"]}, format="json")
    hr.groups.clear()

    post_an_opening()

    assert receiver.requests == []
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.FAILED


def test_replay_needs_the_read_scope_too(service_api, receiver, post_an_opening):
    hr_api = service_api("hr")
    endpoint_id = hr_api.post(
        "/api/v1/webhooks/", {"url": receiver.url, "events": ["opening.created"]}, format="json"
    ).json()["id"]
    post_an_opening()
    delivery = WebhookDelivery.objects.get()
    url = f"/api/v1/webhooks/{endpoint_id}/deliveries/{delivery.pk}/replay/"

    refused = service_api("hr:write").post(url)
    allowed = hr_api.post(url)

    assert refused.status_code == 403
    assert "opening" not in str(refused.json().get("fields"))
    assert "payload" not in refused.content.decode()
    assert allowed.status_code == 201
    assert WebhookDelivery.objects.filter(replay_of=delivery).count() == 1


# --- Secrets are shown once, from the server ------------------------------------------------------


def cookies_and_session_hold(client, response, secret):
    cookies = " ".join(morsel.value for morsel in list(response.cookies.values()) + list(client.cookies.values()))
    session = str(dict(client.session.items()))
    return secret in cookies or secret in session


def test_a_new_service_token_is_shown_once_and_never_in_the_messages_cookie(client, hr):
    account = ServiceAccount.objects.create(name="ATS")
    client.force_login(hr)

    response = client.post(
        "/admin/accounts/serviceaccount/", {"action": "issue_token_hr", "_selected_action": [account.pk]}
    )

    token = ApiToken.objects.get(service_account=account)
    plain = response.content.decode().split('<code class="secret-once">', 1)[1].split("</code>", 1)[0]
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert ApiToken.hash_key(plain) == token.key_hash
    assert not cookies_and_session_hold(client, response, plain)
    assert plain not in client.get("/admin/accounts/serviceaccount/").content.decode()


def test_a_webhook_secret_is_shown_once_and_never_in_the_messages_cookie(client, hr, receiver):
    client.force_login(hr)

    created = client.post(
        "/admin/integrations/webhookendpoint/add/",
        {"url": receiver.url, "events": ["opening.created"], "is_active": "on"},
    )
    endpoint = WebhookEndpoint.objects.get()
    rotated = client.post(
        "/admin/integrations/webhookendpoint/", {"action": "rotate_secret", "_selected_action": [endpoint.pk]}
    )
    old_secret = endpoint.secret
    endpoint.refresh_from_db()

    assert created.status_code == 200 and old_secret in created.content.decode()
    assert rotated.status_code == 200 and endpoint.secret in rotated.content.decode()
    for response, secret in ((created, old_secret), (rotated, endpoint.secret)):
        assert not cookies_and_session_hold(client, response, secret)
    assert endpoint.created_by == hr


def test_the_admin_refuses_an_internal_webhook_address(client, hr, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    client.force_login(hr)

    response = client.post(
        "/admin/integrations/webhookendpoint/add/", {"url": "http://169.254.169.254/", "events": ["opening.created"]}
    )

    assert response.status_code == 200
    assert "internal address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_a_subscription_made_before_tokens_were_recorded_follows_the_services_tokens(receiver, post_an_opening):
    account = ServiceAccount.objects.create(name="Legacy ATS")
    endpoint = WebhookEndpoint.objects.create(url=receiver.url, events=["opening.created"], created_by_service=account)
    from accounts.services import token_issue

    token, _ = token_issue(service_account=account, scope="hr:read")
    post_an_opening()
    assert len(receiver.requests) == 1

    token_revoke(token=token)
    post_an_opening()

    assert len(receiver.requests) == 1
    assert endpoint.deliveries.order_by("-id").first().status == WebhookDelivery.Status.FAILED
