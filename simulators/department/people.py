"""The people of the fictional Department for Citizen Services: who they are, who manages whom.

Sixty people in the directory. Most hold no access to personal data (as in any department); the ones who do
are in `stores.py`. Everything here is plain data: the seeding modules turn it into IAM users (moto), Entra
users (the Graph simulator) and Slack accounts (the Slack simulator).
"""

from __future__ import annotations

from dataclasses import dataclass

DOMAIN = "dept.example.gov"
TENANT_DOMAIN = "dept.onmicrosoft.com"


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    title: str
    manager: str | None = None  # key of their manager
    guest: bool = False  # an Entra B2B guest from a partner organisation
    enabled: bool = True  # False: the account was disabled when they left
    slack: bool = True  # has an account in the department's Slack workspace
    guest_domain: str = "northwind-audit.example.org"
    last_sign_in_days: int | None = 2  # days before the demo starts; None: never signed in

    @property
    def key(self) -> str:
        """first.last: how the department's data refers to a person (and their IAM user name)."""
        first, _, last = self.name.lower().partition(" ")
        return f"{first}.{last.replace(' ', '-')}"

    @property
    def email(self) -> str:
        return f"{self.key}@{self.guest_domain if self.guest else DOMAIN}"

    @property
    def user_principal_name(self) -> str:
        """A guest's UPN is the `#EXT#` form Entra gives invited accounts (not an address)."""
        if self.guest:
            return f"{self.email.replace('@', '_')}#EXT#@{TENANT_DOMAIN}"
        return self.email


def _staff(manager: str, *names: str, title: str) -> list[Person]:
    return [Person(name, title, manager) for name in names]


DIRECTOR = Person("Ruth Adeyemi", "Director of Operations", last_sign_in_days=1)
LEADS = [
    Person("Priya Patel", "Head of Payroll", "ruth.adeyemi"),
    Person("Marcus Okafor", "Head of Benefits Processing", "ruth.adeyemi", last_sign_in_days=16),
    Person("Hana Ito", "Occupational Health Lead", "ruth.adeyemi"),
    Person("Sam Rossi", "Head of Casework", "ruth.adeyemi"),
    Person("Grace Mensah", "Head of HR", "ruth.adeyemi"),
    Person("Tom Weber", "Pensions Service Manager", "ruth.adeyemi"),
    Person("Dana Whitfield", "Data Protection Officer", "ruth.adeyemi"),
    Person("Ivan Petrov", "Head of Digital", "ruth.adeyemi"),
]
NOTABLE = [
    # Moved from Payroll to the Digital team seven months ago; the payroll group still has him.
    Person("Olaf Novak", "Developer (formerly Payroll Officer)", "ivan.petrov", last_sign_in_days=1),
    # An auditor from a partner firm, invited for last year's audit and never removed.
    Person("Jo Bloggs", "External auditor, Northwind Audit", guest=True, slack=False, last_sign_in_days=241),
    # Left the department in the spring: the account is disabled, the group membership is not.
    Person(
        "Ken Marsh", "Former HR Adviser", "grace.mensah", enabled=False, slack=False, last_sign_in_days=147
    ),
    # A contractor whose contract ended in January; still assigned to the pensions application.
    Person("Leo Fischer", "Contractor, pensions migration", "tom.weber", last_sign_in_days=95),
    # Moved to the policy team; still in the occupational-health group.
    Person("Nia Varga", "Policy Adviser (formerly Health Records Officer)", "grace.mensah"),
]
STAFF = [
    *_staff("priya.patel", "Amara Diaz", "Bo Chen", "Carla Evans", "Dev Khan", title="Payroll Officer"),
    *_staff(
        "marcus.okafor",
        "Elif Garcia",
        "Femi Haddad",
        "Ines Lopez",
        "Jon Silva",
        "Kemal Tanaka",
        title="Benefits Processor",
    ),
    *_staff("hana.ito", "Lena Young", "Quinn Baker", title="Occupational Health Adviser"),
    *_staff("sam.rossi", "Sami Quist", "Tara Ueda", "Uma Varga", "Vik Xu", "Wen Zhou", title="Caseworker"),
    *_staff("sam.rossi", "Xiu Zhang", "Yara Adams", title="Contract Caseworker"),
    *_staff("grace.mensah", "Zed Okafor", "Alan Baker", "Ines Haddad", title="HR Adviser"),
    *_staff(
        "tom.weber",
        "Mo Silva",
        "Rosa Chen",
        "Hugo Diaz",
        "Grace Evans",
        "Ada Fischer",
        title="Pensions Officer",
    ),
    # People with no access to personal data at all: most of a department.
    *_staff(
        "ivan.petrov",
        "Kemal Novak",
        "Priya Ueda",
        "Sami Young",
        "Elif Rossi",
        "Wen Tanaka",
        title="Developer",
    ),
    *_staff("ruth.adeyemi", "Bo Lopez", "Nia Quist", "Femi Zhou", "Tara Garcia", title="Operations Analyst"),
    *_staff("ruth.adeyemi", "Ada Okafor", "Jon Patel", "Lena Rossi", "Omar Haddad", title="Finance Analyst"),
    *_staff(
        "ruth.adeyemi",
        "Carla Ito",
        "Dev Mensah",
        "Hugo Weber",
        "Rosa Patel",
        "Vik Adams",
        "Zed Khan",
        "Alan Silva",
        title="Service Designer",
    ),
]

PEOPLE: tuple[Person, ...] = (DIRECTOR, *LEADS, *NOTABLE, *STAFF)
BY_KEY: dict[str, Person] = {person.key: person for person in PEOPLE}


def person(key: str) -> Person:
    return BY_KEY[key]
