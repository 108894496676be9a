"""The visibility oracle shared by the property tests of every channel.

SPEC.md's rule restated in the most direct Python possible, independently of
openings/visibility.py: random organisations (`organisations`, `organisations_with_referrals`),
the oracle (`oracle_sees`, `oracle_with_referrals`, and `oracle_preview` for the poster's audience
preview) and `build`, which writes an organisation to the database.
"""

from hypothesis import strategies as st

from accounts.models import Connection, Division, Location, User
from accounts.roles import sync_hr_group
from openings.models import Opening, OpeningExclusion

VISIBILITIES = Opening.Visibility.values
STATUSES = Opening.Status.values


@st.composite
def organisations(draw, max_people=7, max_openings=6):
    n = draw(st.integers(min_value=2, max_value=max_people))
    people = [{"active": draw(st.integers(0, 4)) != 0, "hr": draw(st.integers(0, 6)) == 0} for i in range(n)]
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    connections = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs))) if pairs else []
    openings = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "poster": st.integers(0, n - 1),
                    "visibility": st.sampled_from(VISIBILITIES),
                    "status": st.sampled_from(STATUSES),
                    "excluded": st.lists(st.integers(0, n - 1), unique=True, max_size=2),
                }
            ),
            min_size=1,
            max_size=max_openings,
        )
    )
    for opening in openings:
        opening["excluded"] = [p for p in opening["excluded"] if p != opening["poster"]]
    return {"people": people, "connections": connections, "openings": openings}


def active_links(org):
    """Connections whose two ends are both active, in both directions."""
    people = org["people"]
    links = set()
    for a, b in org["connections"]:
        if people[a]["active"] and people[b]["active"]:
            links |= {(a, b), (b, a)}
    return links


def oracle_sees(org, viewer, opening):
    """SPEC.md's rule, written plainly."""
    people = org["people"]
    if not people[viewer]["active"]:
        return False
    if opening["poster"] == viewer or people[viewer]["hr"]:
        return True
    if opening["status"] != "open" or viewer in opening["excluded"]:
        return False
    if opening["visibility"] == "company":
        return True
    links = active_links(org)
    poster = opening["poster"]
    if (viewer, poster) in links:
        return True
    if opening["visibility"] == "extended":
        return any((viewer, m) in links and (m, poster) in links for m in range(len(people)))
    return False


def oracle_preview(org, index, excluded=None):
    """The poster's audience preview of opening `index`, by the rule, as if it were open.

    Everyone but the poster who would see it if the HR clause did not exist: HR count only where the
    visibility reaches them (they see every opening anyway, and the form says so in words). Split
    into the poster's connections and the rest. `excluded` stands for a "Hide from" list as typed.
    """
    opening = {**org["openings"][index], "status": "open"}
    if excluded is not None:
        opening["excluded"] = excluded
    without_hr = {**org, "people": [{**person, "hr": False} for person in org["people"]]}
    poster = opening["poster"]
    seers = [v for v in range(len(org["people"])) if v != poster and oracle_sees(without_hr, v, opening)]
    if opening["visibility"] == "company":
        return {"total": len(seers), "direct": None, "second": None, "company": True}
    direct = sum(1 for v in seers if (v, poster) in active_links(org))
    return {"total": len(seers), "direct": direct, "second": len(seers) - direct, "company": False}


def build(org):
    division = Division.objects.create(code="d", name="Division")
    location = Location.objects.create(code="l", name="Location")
    hr_group = sync_hr_group()
    users = []
    for i, person in enumerate(org["people"]):
        user = User.objects.create_user(
            email=f"p{i}@example.com", full_name=f"Person {i}", is_active=person["active"], division=division
        )
        if person["hr"]:
            user.groups.add(hr_group)
        users.append(user)
    rows = []
    for a, b in org["connections"]:
        rows += [Connection(from_user=users[a], to_user=users[b]), Connection(from_user=users[b], to_user=users[a])]
    Connection.objects.bulk_create(rows)
    openings = []
    for i, spec in enumerate(org["openings"]):
        opening = Opening.objects.create(
            title=f"Role {i}",
            description="d",
            division=division,
            location=location,
            visibility=spec["visibility"],
            status=spec["status"],
            posted_by=users[spec["poster"]],
        )
        OpeningExclusion.objects.bulk_create(
            [OpeningExclusion(opening=opening, user=users[p]) for p in spec["excluded"]]
        )
        openings.append(opening)
    return users, openings


@st.composite
def organisations_with_referrals(draw, max_people=6, max_openings=5):
    org = draw(organisations(max_people=max_people, max_openings=max_openings))
    n, m = len(org["people"]), len(org["openings"])
    referrals = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, m - 1)), unique=True, max_size=6))
    # Make the case the rule turns on common: someone on the exclusion list who referred earlier.
    for index, opening in enumerate(org["openings"]):
        if opening["excluded"] and draw(st.booleans()) and (opening["excluded"][0], index) not in referrals:
            referrals.append((opening["excluded"][0], index))
    org["referrals"] = referrals
    return org


def oracle_with_referrals(org, viewer, index):
    """SPEC.md's rule with its referrer clause: active, not excluded, and referred someone to it
    (any status). Exclusion wins over an earlier referral."""
    if oracle_sees(org, viewer, org["openings"][index]):
        return True
    excluded = viewer in org["openings"][index]["excluded"]
    return org["people"][viewer]["active"] and not excluded and (viewer, index) in org["referrals"]
