"""The demo company: deterministic for a given seed, built with bulk inserts so it scales."""

import random
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from .models import Division, Location, User
from .roles import HR_GROUP_NAME, sync_hr_group

DEMO_DOMAIN = "example.com"
DEMO_PASSWORD = "referral-demo-2026"
BATCH = 2000

DIVISIONS = [
    ("eng", "Engineering", ["Software Engineering", "Data Analysis", "Project Management", "Design"]),
    ("product", "Product", ["Product Management", "Design", "Data Analysis"]),
    ("finance", "Finance", ["Finance", "Accounting", "Data Analysis", "Procurement"]),
    ("marketing", "Marketing", ["Marketing", "Design", "Data Analysis"]),
    ("sales", "Sales", ["Sales", "Customer Success", "Operations"]),
    ("ops", "Operations", ["Operations", "Procurement", "Project Management", "Finance"]),
    ("people", "People & HR", ["Human Resources", "Data Analysis"]),
    ("legal", "Legal & Compliance", ["Legal", "Project Management"]),
    ("support", "Customer Support", ["Customer Success", "Operations", "Software Engineering"]),
    ("research", "Research", ["Research", "Data Analysis", "Software Engineering"]),
]
LOCATIONS = [
    ("berlin", "Berlin"),
    ("london", "London"),
    ("new-york", "New York"),
    ("singapore", "Singapore"),
    ("sao-paulo", "São Paulo"),
    ("toronto", "Toronto"),
    ("bangalore", "Bangalore"),
    ("paris", "Paris"),
    ("madrid", "Madrid"),
    ("sydney", "Sydney"),
]
FIRST_NAMES = (
    "Aisha Alejandro Amara Anders Ana Andrei Anika Arjun Astrid Beatriz Bilal Camille Carlos Chen "
    "Chiara Daniel Dmitri Elena Emeka Emma Farah Felix Fatima Gabriel Grace Hannah Haruto Ines Isabel "
    "Ivan Jamal Javier Jia Jonas Julia Kai Kavya Kenji Laila Lars Leila Liam Lucas Lucia Malik Maria "
    "Mateo Mei Mia Mohammed Nadia Naomi Nikhil Nina Noah Olga Omar Oscar Paulo Priya Rafael Ravi Rosa "
    "Samira Santiago Sara Sebastian Sofia Sven Tariq Thomas Tomas Valentina Victor Wei Yara Yusuf Zara Zoe"
).split()
LAST_NAMES = (
    "Adeyemi Ahmed Andersen Bauer Becker Bianchi Carvalho Chen Costa Dubois Eriksson Fernandes Fischer "
    "Garcia Gonzalez Gupta Hansen Hoffmann Ibrahim Ivanova Jansen Kaur Khan Kim Kowalski Kumar Larsen "
    "Lee Lopez Martin Meyer Moreau Müller Nakamura Nguyen Novak Okafor Oliveira Park Patel Petrov Reddy "
    "Rossi Santos Schmidt Silva Singh Sato Tanaka Tremblay Van Dijk Wagner Wang Weber Wong Yilmaz Zhang"
).split()
LEVELS = ["Associate", "", "", "Senior", "Senior", "Lead", "Principal"]
ROLE_NOUN = {
    "Software Engineering": "Software Engineer",
    "Data Analysis": "Data Analyst",
    "Project Management": "Project Manager",
    "Design": "Product Designer",
    "Product Management": "Product Manager",
    "Finance": "Financial Analyst",
    "Accounting": "Accountant",
    "Procurement": "Procurement Specialist",
    "Marketing": "Marketing Manager",
    "Sales": "Account Executive",
    "Customer Success": "Customer Success Manager",
    "Operations": "Operations Specialist",
    "Human Resources": "HR Business Partner",
    "Legal": "Legal Counsel",
    "Research": "Research Scientist",
}

# Skills by job function (the first spelling is the display form: accounts.services.skills_clean).
SKILLS_OF = {
    "Software Engineering": ["Python", "Go", "SQL", "Kubernetes", "System design", "TypeScript", "Code review"],
    "Data Analysis": ["SQL", "Python", "Forecasting", "Tableau", "Statistics", "dbt"],
    "Project Management": ["Planning", "Risk management", "Scrum", "Stakeholder management"],
    "Design": ["Figma", "User research", "Prototyping", "Accessibility"],
    "Product Management": ["Roadmapping", "User research", "SQL", "Stakeholder management"],
    "Finance": ["Forecasting", "Excel", "Financial modelling", "SQL"],
    "Accounting": ["IFRS", "Excel", "Audit", "SAP"],
    "Procurement": ["Negotiation", "Supplier management", "SAP", "Excel"],
    "Marketing": ["Copywriting", "SEO", "Campaigns", "Analytics"],
    "Sales": ["Negotiation", "Salesforce", "Forecasting", "Account planning"],
    "Customer Success": ["Onboarding", "Salesforce", "Training", "Negotiation"],
    "Operations": ["Lean", "Logistics", "Excel", "Process design"],
    "Human Resources": ["Coaching", "Workforce planning", "Employment law", "Recruiting"],
    "Legal": ["Contracts", "GDPR", "Employment law", "Negotiation"],
    "Research": ["Python", "Statistics", "Machine learning", "Experiment design"],
}
PERSONA_PROFILES = {
    "priya.natarajan": (
        "I lead the platform team in Berlin and hire engineers.",
        ["Python", "System design", "Hiring"],
    ),
    "daniel.okafor": ("I build the payments backend and mentor new engineers.", ["Python", "Go", "SQL", "Kubernetes"]),
    "sofia.rossi": ("I forecast revenue for Southern Europe.", ["SQL", "Forecasting", "Python", "Tableau"]),
    "kenji.tanaka": ("I run sales for Asia-Pacific.", ["Negotiation", "Forecasting", "Salesforce"]),
    "hannah.schmidt": ("I partner with engineering and data on hiring and growth.", ["Coaching", "Recruiting"]),
}

# People a visitor signs in as; the rest of the company is generated.
PERSONAS = [
    ("priya.natarajan", "Priya Natarajan", "Engineering Manager", "Software Engineering", "eng", "berlin"),
    ("daniel.okafor", "Daniel Okafor", "Senior Software Engineer", "Software Engineering", "eng", "london"),
    ("sofia.rossi", "Sofia Rossi", "Senior Data Analyst", "Data Analysis", "finance", "madrid"),
    ("kenji.tanaka", "Kenji Tanaka", "Sales Director", "Sales", "sales", "singapore"),
    ("hannah.schmidt", "Hannah Schmidt", "HR Business Partner", "Human Resources", "people", "berlin"),
]
HR_PERSONA = "hannah.schmidt"
ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"


@dataclass
class Company:
    """What later parts of the demo build on: employees by team, and the named personas."""

    employee_ids: list = field(default_factory=list)
    teams: list = field(default_factory=list)  # lists of employee ids; a team's first id is its manager
    division_of: dict = field(default_factory=dict)
    location_of: dict = field(default_factory=dict)
    personas: dict = field(default_factory=dict)  # short name -> id


def seed_skills(rng, users, fixed):
    """Two to four skills of their function for most employees, `fixed` {id: [names]} for some;
    bulk inserts, so a company of 100,000 takes seconds."""
    from .models import EmployeeSkill, Skill
    from .services import skill_key

    names = {skill_key(n): n for n in [*(n for pool in SKILLS_OF.values() for n in pool), *sum(fixed.values(), [])]}
    Skill.objects.bulk_create([Skill(key=k, name=n) for k, n in names.items()], ignore_conflicts=True)
    skill_ids = dict(Skill.objects.filter(key__in=names).values_list("key", "id"))
    links = []
    for user in users:
        chosen = fixed.get(user.id)
        if chosen is None:
            pool = SKILLS_OF.get(user.job_function, [])
            if not pool or rng.random() < 0.2:
                continue
            chosen = rng.sample(pool, min(len(pool), rng.randint(2, 4)))
        links.extend(EmployeeSkill(employee_id=user.id, skill_id=skill_ids[skill_key(n)]) for n in chosen)
    EmployeeSkill.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)


def demo_present():
    return User.objects.filter(email=f"{PERSONAS[0][0]}@{DEMO_DOMAIN}").exists()


def seed_people(rng: random.Random, employees: int) -> Company:
    """Divisions, locations and `employees` people in teams of about eight under a manager tree."""
    divisions = {code: Division(code=code, name=name) for code, name, _ in DIVISIONS}
    Division.objects.bulk_create(divisions.values())
    locations = {code: Location(code=code, name=name) for code, name in LOCATIONS}
    Location.objects.bulk_create(locations.values())
    divisions = {d.code: d for d in Division.objects.all()}
    locations = {loc.code: loc for loc in Location.objects.all()}
    functions_of = {code: functions for code, _, functions in DIVISIONS}

    password = make_password(DEMO_PASSWORD)  # hashed once: hashing per employee would take minutes
    taken = set()
    rows = []

    def add(local, full_name, title, function, division_code, location_code, manager_index=None):
        email = f"{local}@{DEMO_DOMAIN}"
        n = 2
        while email in taken:
            email = f"{local}{n}@{DEMO_DOMAIN}"
            n += 1
        taken.add(email)
        rows.append(
            (
                User(
                    email=email,
                    full_name=full_name,
                    employee_id=f"E{len(rows) + 1:06d}",
                    title=title,
                    job_function=function,
                    division=divisions[division_code],
                    location=locations[location_code],
                    password=password,
                ),
                manager_index,
            )
        )
        return len(rows) - 1

    persona_index = {}
    for local, name, title, function, div, loc in PERSONAS:
        persona_index[local] = add(local, name, title, function, div, loc)

    # Teams: a division, a location and a manager; members mostly share the manager's function.
    team_members = [[i] for i in persona_index.values()]
    division_codes = [code for code, _, _ in DIVISIONS]
    location_codes = [code for code, _ in LOCATIONS]
    while len(rows) < employees:
        div = rng.choice(division_codes)
        # Each division has two or three home locations, so that most teams cluster there.
        homes = [location_codes[(division_codes.index(div) * 3 + k) % len(location_codes)] for k in range(3)]
        loc = rng.choice(homes) if rng.random() < 0.8 else rng.choice(location_codes)
        function = rng.choice(functions_of[div])
        team = []
        size = min(rng.randint(5, 11), employees - len(rows))
        for position in range(size):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            member_function = function if rng.random() < 0.75 else rng.choice(functions_of[div])
            if position == 0:
                title = f"Team Lead, {member_function}"
            else:
                level = rng.choice(LEVELS)
                title = f"{level} {ROLE_NOUN[member_function]}".strip()
            local = f"{first}.{last}".lower().replace(" ", "").replace("ü", "u")
            manager_index = None if position == 0 else team[0]
            team.append(add(local, f"{first} {last}", title, member_function, div, loc, manager_index))
        team_members.append(team)

    users = [user for user, _ in rows]
    persona_of = {index: local for local, index in persona_index.items()}
    for index, user in enumerate(users):
        if index in persona_of:
            user.what_i_do = PERSONA_PROFILES[persona_of[index]][0]
            user.open_to_talk = True
        elif rng.random() < 0.5:
            user.what_i_do = f"{user.title} in {user.division.name}, {user.location.name}."
            user.open_to_talk = rng.random() < 0.3
    for start in range(0, len(users), BATCH):
        User.objects.bulk_create(users[start : start + BATCH], batch_size=BATCH)
    ids = dict(User.objects.filter(email__in=[u.email for u in users]).values_list("email", "id"))
    for user in users:
        user.id = user.pk = ids[user.email]

    # Managers: team members report to their team's first person; team heads report to a head of
    # another team in their division, giving a tree several levels deep.
    heads_by_division = {}
    for team in team_members:
        heads_by_division.setdefault(users[team[0]].division_id, []).append(team[0])
    updates = []
    for user, manager_index in rows:
        if manager_index is not None:
            user.manager_id = users[manager_index].id
            updates.append(user)
    for heads in heads_by_division.values():
        for position, head in enumerate(heads[1:], start=1):
            users[head].manager_id = users[heads[(position - 1) // 4]].id
            updates.append(users[head])
    User.objects.bulk_update(updates, ["manager"], batch_size=BATCH)

    EmailAddress.objects.bulk_create(
        [EmailAddress(user_id=u.id, email=u.email, verified=True, primary=True) for u in users], batch_size=BATCH
    )
    seed_skills(rng, users, {users[index].id: PERSONA_PROFILES[local][1] for local, index in persona_index.items()})

    hr_group = sync_hr_group()
    hr_user = users[persona_index[HR_PERSONA]]
    User.objects.filter(pk=hr_user.id).update(is_staff=True)
    hr_user.groups.add(hr_group)
    admin = User.objects.create_superuser(
        email=ADMIN_EMAIL, password=DEMO_PASSWORD, full_name="Referral Board Admin", title="Administrator"
    )
    admin.groups.add(Group.objects.get(name=HR_GROUP_NAME))
    EmailAddress.objects.create(user=admin, email=admin.email, verified=True, primary=True)

    company = Company()
    company.employee_ids = [u.id for u in users]
    company.teams = [[users[i].id for i in team] for team in team_members]
    company.division_of = {u.id: u.division_id for u in users}
    company.location_of = {u.id: u.location_id for u in users}
    company.personas = {local: users[index].id for local, index in persona_index.items()}
    return company
