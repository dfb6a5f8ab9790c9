"""The demo's cast: its organizations, practitioners and their logins, data sources, studies, the
names patients are drawn from, and which organizations and studies each default patient joins.
Kept apart from the seeding code: the login pages and the demo's sign-in name the same people."""

from __future__ import annotations

from dataclasses import dataclass

DEMO_PASSWORD = "demo"
CONSOLE_CLIENT_ID = "jhe-demo-console"
LOOPBACK_CLIENT_ID = "jhe-tui"
LOOPBACK_REDIRECT = "http://127.0.0.1/callback"

ORGANIZATIONS = (
    (0, "ROOT", "root", None),
    (20001, "Riverside University", "edu", 0),
    (20002, "School of Public Health", "edu", 20001),
    (20003, "Cardiometabolic Research Lab", "laboratory", 20002),
    (20004, "Sleep and Activity Lab", "laboratory", 20002),
    (20005, "Lakeside Health System", "prov", 0),
    (20006, "Department of Cardiology", "dept", 20005),
    (20007, "Heart Failure Clinic", "team", 20006),
)


@dataclass(frozen=True)
class Practitioner:
    id: int
    email: str
    first_name: str
    last_name: str
    roles: tuple[tuple[int, str], ...]
    superuser: bool = False

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


PRACTITIONERS = (
    Practitioner(10001, "manager@demo.jhe.example", "Morgan", "Reyes",
                 ((20001, "manager"), (20002, "manager"), (20003, "manager"), (20004, "manager"))),
    Practitioner(10002, "member@demo.jhe.example", "Sam", "Okafor", ((20003, "member"),)),
    Practitioner(10003, "viewer@demo.jhe.example", "Vic", "Tran", ((20003, "viewer"),)),
    Practitioner(10004, "lakeside.manager@demo.jhe.example", "Priya", "Shah",
                 ((20005, "manager"), (20006, "manager"), (20007, "manager"))),
    Practitioner(10005, "dana.brooks@demo.jhe.example", "Dana", "Brooks", ()),
    # Below the others' ids: patients' logins start right after Dana's.
    Practitioner(10000, "admin@demo.jhe.example", "Ada", "Lovell", (), superuser=True),
)
DEMO_LOGINS = {"manager": 10001, "member": 10002, "viewer": 10003, "superuser": 10000}

# v0.0.13's patient apps (id, name, OAuth client id, invitation URL; CODE stands for the code) and
# the studies that issue invitations for them.
PATIENT_APPS = (
    (3, "CareX", "demo-carex-app", "https://carex.example/invitation/CODE"),
    (4, "CommonHealth", "demo-commonhealth-app", "https://commonhealth.example?invitation=CODE"),
    (5, "Patient Access", "demo-patient-access-app", "http://127.0.0.1:8765/clients/patient-access/?code=CODE"),
)
STUDY_APPS = ((30001, 3), (30002, 3), (30004, 4))

# id, name, type, supported codeable concepts
DATA_SOURCES = (
    (70001, "CareX", "personal_device", (50002, 50003, 50004, 50005, 50006, 50009)),
    (70002, "Dexcom G7", "personal_device", (50001,)),
    (70003, "iHealth", "personal_device", (50002, 50003, 50004, 50005, 50009)),
    (70004, "Oura Ring", "personal_device", (50003, 50004, 50008)),
)
# id, name, description, organization, requested scopes, data sources
STUDIES = (
    (30001, "Glucose and Blood Pressure Study", "Home blood glucose and blood pressure", 20003,
     (50001, 50002), (70002, 70003)),
    (30002, "Cardiac Rhythm Study", "Heart rate, blood pressure and oxygen saturation", 20003,
     (50004, 50002, 50005), (70001, 70003)),
    (30003, "Sleep and Steps Study", "Daily steps and heart rate", 20004, (50008, 50004), (70004,)),
    (30004, "Heart Failure Home Monitoring", "Weight, blood pressure and oxygen saturation after discharge",
     20007, (50009, 50002, 50005), (70003, 70001)),
    (30005, "Fever and Breathing Watch", "Body temperature and respiratory rate", 20006, (50003, 50006), (70001,)),
)
STUDY_BY_ID = {s[0]: s for s in STUDIES}
SOURCE_BY_ID = {s[0]: s for s in DATA_SOURCES}

FIRST_NAMES = (
    "Olivia", "Liam", "Amara", "Noah", "Sofia", "Mateo", "Priya", "Ethan", "Chloe", "Kenji", "Fatima",
    "Lucas", "Hannah", "Diego", "Grace", "Omar", "Isla", "Mohammed", "Zoe", "Arjun", "Maya", "Samuel",
    "Leila", "Daniel", "Aisha", "Jonah", "Mei", "Gabriel", "Nora", "Tariq", "Elena", "Henry", "Yara",
    "Felix", "Ruth", "Kwame", "Ines", "Oscar", "Lena", "Victor", "Naomi", "Hugo", "Alma", "Rafael",
)
LAST_NAMES = (
    "Garcia", "Nguyen", "Okonkwo", "Smith", "Kowalski", "Haddad", "Johnson", "Tanaka", "Rossi", "Patel",
    "Andersson", "Mensah", "Silva", "Cohen", "Murphy", "Hernandez", "Kim", "Dubois", "Ivanova", "Brown",
    "Osei", "Lopez", "Fischer", "Ali", "Walker", "Novak", "Reyes", "Schmidt", "Chen", "Moreau",
    "Adeyemi", "Larsen", "Costa", "Wright", "Yilmaz", "Bianchi", "Hughes", "Sato", "Mwangi", "Ortiz",
)


def patient_plan(i: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Organizations and studies of the i-th default patient (0-based)."""
    if i < 30:
        orgs = (20003, 20004) if i < 5 else (20003,)
        studies = tuple(s for s, wanted in ((30001, i % 3 != 2), (30002, i % 2 == 0), (30003, i < 3)) if wanted)
        return orgs, () if i >= 27 else studies
    if i < 45:
        return (20004,), () if i >= 43 else (30003,)
    if i < 53:
        return ((20007, 20003) if i < 47 else (20007,)), ((30004, 30001) if i == 45 else (30004,))
    return (20006,), () if i == 59 else (30005,)
