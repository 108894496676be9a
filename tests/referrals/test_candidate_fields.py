"""The candidate's fields are declared once (referrals.services.CANDIDATE_FIELDS): the model holds
them, and the portal form and the API's create serializer ask for exactly them, at the same lengths."""

from referrals.forms import ReferralForm
from referrals.models import Referral
from referrals.serializers import ReferralCreateSerializer, ReferralSerializer
from referrals.services import CANDIDATE_FIELDS, ERASED_FIELDS


def test_the_model_holds_every_candidate_field():
    names = {f.name for f in Referral._meta.get_fields()}
    assert set(CANDIDATE_FIELDS) <= names
    for name in ("candidate_name", "candidate_email", "candidate_phone", "candidate_profile_url"):
        assert Referral._meta.get_field(name).max_length == CANDIDATE_FIELDS[name]


def test_the_form_asks_for_the_candidate_fields_in_order_at_their_lengths():
    form = ReferralForm()
    asked = [name for name in form.fields if name != "consent_confirmed"]
    assert asked == list(CANDIDATE_FIELDS)
    assert {name: form.fields[name].max_length for name in asked} == CANDIDATE_FIELDS


def test_the_api_takes_and_shows_the_candidate_fields_at_their_lengths():
    fields = ReferralCreateSerializer().fields
    assert {name: fields[name].max_length for name in CANDIDATE_FIELDS} == CANDIDATE_FIELDS
    assert set(fields) - set(CANDIDATE_FIELDS) == {"opening", "note", "consent_confirmed"}
    assert set(CANDIDATE_FIELDS) <= set(ReferralSerializer.Meta.fields)


def test_erasure_empties_every_candidate_field():
    assert set(CANDIDATE_FIELDS) <= set(ERASED_FIELDS)
    assert ERASED_FIELDS["candidate_name"] == Referral.ERASED_NAME
