from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import CommandError, call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis.extra.django import TestCase

from accounts.models import ConnectionRequest, User
from openings import digest as digest_lib
from openings.models import DigestDelivery, Opening, OpeningExclusion
from tests.factories import UserFactory, connect
from tests.openings.factories import OpeningFactory
from tests.support.visibility import build, organisations

V, S = Opening.Visibility, Opening.Status


def fresh(**kwargs):
    kwargs.setdefault("opened_at", timezone.now() - timedelta(hours=1))
    return OpeningFactory(**kwargs)


def run(*args):
    call_command("send_weekly_digest", *args)


def digest_of(user):
    return digest_lib.digest_for(User.objects.get(pk=user.pk))


# --- Content -----------------------------------------------------------------------------------


def test_content_follows_the_visibility_rule(cast):
    network = fresh(posted_by=cast["poster"], visibility=V.NETWORK, title="Network role")
    extended = fresh(posted_by=cast["poster"], visibility=V.EXTENDED, title="Extended role")
    company = fresh(posted_by=cast["poster"], visibility=V.COMPANY, title="Company role")
    fresh(posted_by=cast["poster"], visibility=V.COMPANY, status=S.DRAFT, opened_at=None)
    fresh(posted_by=cast["poster"], visibility=V.COMPANY, status=S.CLOSED)
    fresh(posted_by=cast["poster"], visibility=V.COMPANY, opened_at=timezone.now() - timedelta(days=8))
    hidden = fresh(posted_by=cast["poster"], visibility=V.COMPANY, title="Hidden from second")
    OpeningExclusion.objects.create(opening=hidden, user=cast["second"])

    def titles(user):
        return [item.opening.pk for item in digest_of(user).openings]

    assert set(titles(cast["direct"])) == {network.pk, extended.pk, company.pk, hidden.pk}
    assert set(titles(cast["second"])) == {extended.pk, company.pk}
    assert set(titles(cast["stranger"])) == {company.pk, hidden.pk}
    assert set(titles(cast["stranger_via_leaver"])) == {company.pk, hidden.pk}
    assert titles(cast["poster"]) == []  # not what they posted themselves
    assert digest_lib.build_digests([cast["former"]], week=digest_lib.week_of())[0].openings == []


def test_ranking_direct_then_second_then_newest(cast):
    now = timezone.now()
    far = UserFactory()
    older_direct = fresh(posted_by=cast["poster"], visibility=V.NETWORK, opened_at=now - timedelta(days=3))
    company = fresh(posted_by=far, visibility=V.COMPANY, opened_at=now - timedelta(minutes=5))
    newer_direct = fresh(posted_by=cast["poster"], visibility=V.COMPANY, opened_at=now - timedelta(days=1))
    via = fresh(posted_by=cast["second"], visibility=V.EXTENDED, opened_at=now - timedelta(hours=2))
    order = [(item.opening.pk, item.degree) for item in digest_of(cast["poster"]).openings]
    assert order == [(via.pk, 2), (company.pk, 3)]
    order = [(item.opening.pk, item.degree) for item in digest_of(cast["direct"]).openings]
    assert order == [(via.pk, 1), (newer_direct.pk, 1), (older_direct.pk, 1), (company.pk, 3)]


def test_at_most_ten_and_the_rest_counted(cast):
    for _ in range(13):
        fresh(posted_by=cast["poster"], visibility=V.NETWORK)
    digest = digest_of(cast["direct"])
    assert len(digest.openings) == 10 and digest.more == 3
    assert digest.subject == "13 new openings in your network"
    message = digest_lib.render_digest(digest)
    assert "and 3 more" in message.body
    assert "…and 3 more" in message.alternatives[0][0]


def test_pending_requests_alone_make_a_digest(cast):
    ConnectionRequest.objects.create(sender=cast["second"], recipient=cast["stranger"])
    digest = digest_of(cast["stranger"])
    assert not digest.is_empty and [r.sender for r in digest.requests] == [cast["second"]]
    assert digest.subject == "Your week: 1 connection request"


def test_nothing_new_means_no_email(cast):
    run()
    assert mail.outbox == []
    assert not DigestDelivery.objects.exists()


# --- The email ---------------------------------------------------------------------------------


def test_email_parts_links_and_headers(cast, settings):
    settings.SITE_URL = "https://referrals.example.com"
    opening = fresh(posted_by=cast["poster"], visibility=V.NETWORK, title="Data <Lead> & co")
    run("--user", cast["direct"].email)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [cast["direct"].email]
    assert message.subject == "1 new opening in your network"
    html = message.alternatives[0][0]
    assert f"https://referrals.example.com/openings/{opening.pk}/" in message.body
    assert f"https://referrals.example.com/openings/{opening.pk}/" in html
    assert "Data &lt;Lead&gt; &amp; co" in html and "Data <Lead> & co" in message.body
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://referrals.example.com/digest/unsubscribe/") and unsubscribe.endswith("/>")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "<table" in html and 'style="' in html


def test_one_click_unsubscribe(client, cast):
    token = digest_lib.unsubscribe_token(cast["direct"])
    page = client.get(f"/digest/unsubscribe/{token}/")
    assert page.status_code == 200 and "Stop the weekly digest?" in page.content.decode()
    assert User.objects.get(pk=cast["direct"].pk).digest_enabled  # GET changes nothing
    # RFC 8058: the mail client POSTs with no session and no CSRF token.
    response = client.post(f"/digest/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not User.objects.get(pk=cast["direct"].pk).digest_enabled
    fresh(posted_by=cast["poster"], visibility=V.NETWORK)
    run()
    # HR sees every opening, so only HR still gets one.
    assert [m.to for m in mail.outbox] == [[cast["hr"].email]]


def test_tampered_token_changes_nothing(client, cast):
    token = digest_lib.unsubscribe_token(cast["direct"])
    for bad in (token[:-2] + "xx", "nonsense", token.replace(":", ".", 1)):
        response = client.post(f"/digest/unsubscribe/{bad}/")
        assert response.status_code == 400
    assert User.objects.get(pk=cast["direct"].pk).digest_enabled


def test_the_unsubscribe_page_shows_no_address(client, cast):
    token = digest_lib.unsubscribe_token(cast["direct"])

    pages = [client.get(f"/digest/unsubscribe/{token}/"), client.post(f"/digest/unsubscribe/{token}/")]

    for page in pages:
        assert page.status_code == 200
        assert cast["direct"].email not in page.content.decode()


def test_a_deactivated_employees_link_does_nothing(client, cast):
    from accounts.services import employee_deactivate

    token = digest_lib.unsubscribe_token(cast["direct"])
    employee_deactivate(employee=cast["direct"])

    shown = client.get(f"/digest/unsubscribe/{token}/")
    posted = client.post(f"/digest/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"})

    assert shown.status_code == 400 and posted.status_code == 400
    assert User.objects.get(pk=cast["direct"].pk).digest_enabled


def test_an_old_link_expires(client, cast, settings):
    import time_machine

    settings.UNSUBSCRIBE_LINK_MAX_AGE_DAYS = 90
    with time_machine.travel("2026-01-01 08:00Z", tick=False):
        token = digest_lib.unsubscribe_token(cast["direct"])
    with time_machine.travel("2026-03-31 08:00Z", tick=False):
        assert client.get(f"/digest/unsubscribe/{token}/").status_code == 200
    with time_machine.travel("2026-04-02 08:00Z", tick=False):
        assert client.post(f"/digest/unsubscribe/{token}/").status_code == 400
    assert User.objects.get(pk=cast["direct"].pk).digest_enabled


def test_settings_switch_and_preview(client, cast):
    fresh(posted_by=cast["poster"], visibility=V.NETWORK, title="Visible role")
    client.force_login(cast["direct"])
    page = client.get("/digest/preview/").content.decode()
    assert "Subject:</strong> 1 new opening in your network" in page
    assert "Visible role" in client.get("/digest/preview/email/").content.decode()
    client.post("/settings/", {"notify_connection_requests": "on", "notify_referrals": "on"})
    assert not User.objects.get(pk=cast["direct"].pk).digest_enabled
    run()
    assert cast["direct"].email not in [m.to[0] for m in mail.outbox]
    client.force_login(cast["stranger"])
    assert "Nothing new this week" in client.get("/digest/preview/").content.decode()


# --- Exactly once ------------------------------------------------------------------------------


def test_second_run_sends_nothing(cast):
    fresh(posted_by=cast["poster"], visibility=V.COMPANY)
    run()
    first = sorted(m.to[0] for m in mail.outbox)
    assert first == sorted(u.email for u in User.objects.active().exclude(pk=cast["poster"].pk))
    run()
    assert len(mail.outbox) == len(first)
    assert DigestDelivery.objects.filter(status="sent").count() == len(first)


class Killed(BaseException):
    """Stands in for the process being stopped in the middle of a run."""


class DyingBackend(BaseEmailBackend):
    """An email backend that delivers `budget` messages, then dies (or fails, with `error`)."""

    sent = []
    budget = 0
    error = Killed

    def send_messages(self, messages):
        for message in messages:
            if DyingBackend.budget <= 0:
                raise DyingBackend.error("the run stops here")
            DyingBackend.budget -= 1
            DyingBackend.sent.append(message.to[0])
        return len(messages)


@pytest.fixture
def dying(settings):
    settings.EMAIL_BACKEND = "tests.openings.test_digest.DyingBackend"
    DyingBackend.sent = []
    return DyingBackend


def test_a_run_killed_halfway_sends_only_the_rest(cast, dying, settings):
    fresh(posted_by=cast["poster"], visibility=V.COMPANY)
    everyone = sorted(u.email for u in User.objects.active().exclude(pk=cast["poster"].pk))
    dying.budget, dying.error = 2, Killed
    with pytest.raises(Killed):
        run("--batch-size", "2")
    assert len(dying.sent) == 2
    in_flight = DigestDelivery.objects.get(status="claimed")  # it may have reached the server
    assert DigestDelivery.objects.filter(status="pending").count() == 0  # the rest were released
    dying.budget = 100
    run("--batch-size", "2")
    assert sorted(dying.sent) == sorted(set(everyone) - {in_flight.user.email})
    with time_machine.travel(in_flight.lease_until + timedelta(seconds=1), tick=False):
        run("--batch-size", "2")  # the next scheduled run, once the dead run's lease ran out
    assert sorted(dying.sent) == everyone  # each exactly once
    assert DigestDelivery.objects.filter(status="sent").count() == len(everyone)


def test_a_failed_send_is_reported_and_retried_next_run(poster, direct, dying):
    fresh(posted_by=poster, visibility=V.NETWORK)
    dying.budget, dying.error = 0, OSError
    with pytest.raises(CommandError, match="1 digest"):
        run()
    delivery = DigestDelivery.objects.get(user=direct)
    assert delivery.status == "failed" and "OSError" in delivery.error
    dying.budget = 5
    run()
    assert dying.sent == [direct.email]
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 2


def test_a_claim_left_by_a_dead_run_is_sent_once_its_lease_expires(poster, direct, settings):
    fresh(posted_by=poster, visibility=V.NETWORK)
    now = timezone.now()
    left = DigestDelivery.objects.create(
        user=direct,
        week=digest_lib.week_of(),
        status="claimed",
        holder="dead-host:1:x",
        lease_until=now + timedelta(seconds=60),
        attempts=1,
    )
    run()  # the lease still runs: another live run holds it
    assert mail.outbox == []
    left.refresh_from_db()
    assert left.status == "claimed" and left.holder == "dead-host:1:x"
    with time_machine.travel(now + timedelta(seconds=61), tick=False):
        run()  # no flag: the expired lease is simply taken again
    assert [m.to for m in mail.outbox] == [[direct.email]]
    left.refresh_from_db()
    assert left.status == "sent" and left.attempts == 2 and left.holder == "" and left.lease_until is None
    run()
    assert len(mail.outbox) == 1


def test_a_past_week_is_not_sent_any_more(poster, direct):
    fresh(posted_by=poster, visibility=V.NETWORK)
    with pytest.raises(CommandError, match="is over"):
        run("--week", "2026-W10")
    assert mail.outbox == [] and not DigestDelivery.objects.exists()


def test_a_batch_task_queued_in_one_week_and_run_in_the_next_sends_nothing(poster, direct):
    from openings.tasks import send_digest_batch

    fresh(posted_by=poster, visibility=V.NETWORK)
    week = digest_lib.week_of()
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        result = send_digest_batch.enqueue(week=week, user_ids=[direct.pk])
    assert result.return_value["sent"] == 0 and mail.outbox == []


def test_a_batch_task_that_could_not_send_everything_fails_and_says_how_many(poster, direct, dying):
    from openings.tasks import send_digest_batch

    fresh(posted_by=poster, visibility=V.NETWORK)
    dying.budget, dying.error = 0, OSError
    result = send_digest_batch.enqueue(week=digest_lib.week_of(), user_ids=[poster.pk, direct.pk])
    assert result.status.name == "FAILED"
    assert "1 of 2 digest(s)" in result.errors[0].traceback


def test_dry_run_sends_and_records_nothing(cast, capsys):
    fresh(posted_by=cast["poster"], visibility=V.NETWORK)
    run("--dry-run")
    assert mail.outbox == [] and not DigestDelivery.objects.exists()
    assert f"would send to {cast['direct'].email}" in capsys.readouterr().out


def test_enqueued_batches_send_through_the_task(poster, direct):
    fresh(posted_by=poster, visibility=V.NETWORK)
    run("--enqueue", "--batch-size", "3")
    assert [m.to for m in mail.outbox] == [[direct.email]]


@pytest.mark.parametrize(
    "args,message",
    [
        (["--user", "nobody@example.com"], "No employee"),
        (["--week", "2026-48"], "not an ISO week"),
        (["--week", "2026-W60"], "not a week of 2026"),
    ],
)
def test_bad_arguments(cast, args, message):
    fresh(posted_by=cast["poster"], visibility=V.COMPANY)
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert mail.outbox == [] and not DigestDelivery.objects.exists()


def test_past_week_looks_at_that_week(poster, direct, capsys):
    week_start = digest_lib.parse_week("2026-W10")
    opened = timezone.make_aware(timezone.datetime.combine(week_start, timezone.datetime.min.time())) + timedelta(
        days=2
    )
    fresh(posted_by=poster, visibility=V.NETWORK, opened_at=opened)
    run("--week", "2026-W10", "--dry-run")
    assert f"would send to {direct.email}" in capsys.readouterr().out
    assert mail.outbox == [] and not DigestDelivery.objects.exists()


# --- Constant queries per batch ----------------------------------------------------------------


@pytest.mark.parametrize("size", [4, 40])
def test_queries_per_batch_are_constant(django_assert_max_num_queries, poster, size):
    recipients = []
    for i in range(size):
        person = UserFactory()
        connect(poster, person)
        if i % 2:
            friend = UserFactory()
            connect(person, friend)
            recipients.append(friend)
        recipients.append(person)
        fresh(posted_by=person, visibility=V.EXTENDED)
    fresh(posted_by=poster, visibility=V.NETWORK)
    users = list(User.objects.filter(pk__in=[u.pk for u in recipients]))
    with django_assert_max_num_queries(16):
        digests = digest_lib.build_digests(users, week=digest_lib.week_of())
    assert all(d.openings for d in digests)


# --- Batched equals per employee ---------------------------------------------------------------


class BatchedEqualsPerEmployee(TestCase):
    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(org=organisations(max_people=8, max_openings=8))
    def test_batched_digest_equals_visible_to(self, org):
        users, openings = build(org)
        Opening.objects.filter(status="open").update(opened_at=timezone.now() - timedelta(hours=1))
        users = list(User.objects.filter(pk__in=[u.pk for u in users]).order_by("pk"))
        batched = digest_lib.build_digests(users, week=digest_lib.week_of())
        for user, digest in zip(users, batched, strict=True):
            one = User.objects.get(pk=user.pk)
            expected = set(Opening.objects.visible_to(one).open().exclude(posted_by=one).values_list("pk", flat=True))
            assert {item.opening.pk for item in digest.openings} == expected


def test_referral_updates_and_suggestions_in_the_digest(poster, direct, stranger):
    from datetime import timedelta as td

    from tests.referrals.factories import ReferralFactory

    opening = fresh(posted_by=poster, visibility=V.NETWORK, title="Referred role")
    changed = ReferralFactory(opening=opening, referrer=direct, candidate_name="Cora Candidate", status="in_review")
    ReferralFactory(
        opening=opening,
        referrer=direct,
        candidate_name="Old News",
        status="declined",
        status_changed_at=timezone.now() - td(days=9),
    )
    # A counterpart: same job function, another division.
    counterpart = UserFactory(full_name="Carl Counterpart", job_function=direct.job_function)
    digest = digest_of(direct)
    assert [r.pk for r in digest.referral_updates] == [changed.pk]
    assert counterpart in [s.user for s in digest.suggestions] and len(digest.suggestions) <= 3
    message = digest_lib.render_digest(digest)
    assert "Cora Candidate for Referred role: In review" in message.body
    assert "Old News" not in message.body
    assert "Carl Counterpart" in message.body and f"/people/{counterpart.pk}/" in message.alternatives[0][0]
    # The referral of someone else is never in my digest.
    assert digest_of(stranger).referral_updates == []


def test_an_excluded_referrer_does_not_get_the_opening_in_the_digest(cast):
    from openings.models import OpeningExclusion
    from tests.referrals.factories import ReferralFactory

    opening = fresh(posted_by=cast["poster"], visibility=V.COMPANY, title="Payroll Lead")
    ReferralFactory(opening=opening, referrer=cast["direct"])
    OpeningExclusion.objects.create(opening=opening, user=cast["direct"])

    assert opening.pk not in [item.opening.pk for item in digest_of(cast["direct"]).openings]
    assert opening.pk in [item.opening.pk for item in digest_of(cast["second"]).openings]
