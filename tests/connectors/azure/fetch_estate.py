"""A small Azure estate in the ARM simulator for the fetch tests: two subscriptions under a management-group
tree, every store kind tagged and untagged, built-in and custom roles, a deny assignment, an ABAC condition
and an assignment on a blob container."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from connectors.azure.client import AzureClients, StaticToken
from simulators.arm import COSMOS_DATA_READER, ArmSimulator, ArmState, builtin_role_id

SUB_A = "00000000-0000-4000-8000-00000000a001"
SUB_B = "00000000-0000-4000-8000-00000000b002"
SUB_C = "00000000-0000-4000-8000-00000000c003"  # exists, not configured in most tests
ALICE, BOB, CAROL = (
    "aaaaaaaa-0000-4000-8000-000000000001",
    "bbbbbbbb-0000-4000-8000-000000000002",
    "cccccccc-0000-4000-8000-000000000003",
)
DAVE, ERIN, FRANK = (
    "dddddddd-0000-4000-8000-000000000004",
    "eeeeeeee-0000-4000-8000-000000000005",
    "ffffffff-0000-4000-8000-000000000006",
)
HR_GROUP = "99999999-0000-4000-8000-000000000009"
ROOT_MG, DEPT_MG = "tenant-root", "department"
CONDITION = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'records'"


def _rid(sub: str, group: str, provider: str, name: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{group}/providers/{provider}/{name}"


PDSTORE = _rid(SUB_A, "rg-data", "Microsoft.Storage/storageAccounts", "pdstore")
NOKEYS = _rid(SUB_A, "rg-data", "Microsoft.Storage/storageAccounts", "nokeys")
LOGS = _rid(SUB_A, "rg-data", "Microsoft.Storage/storageAccounts", "logs")
CASEY = _rid(SUB_A, "rg-data", "Microsoft.Storage/storageAccounts", "casey")
PATIENTS = _rid(SUB_A, "rg-data", "Microsoft.DocumentDB/databaseAccounts", "patients")
KV_RBAC = _rid(SUB_A, "rg-data", "Microsoft.KeyVault/vaults", "kv-rbac")
KV_POLICIES = _rid(SUB_A, "rg-data", "Microsoft.KeyVault/vaults", "kv-policies")
SQL1 = _rid(SUB_A, "rg-data", "Microsoft.Sql/servers", "sql1")
SQL2 = _rid(SUB_A, "rg-data", "Microsoft.Sql/servers", "sql2")
HRDB = f"{SQL1}/databases/hrdb"
SCRATCH = f"{SQL1}/databases/scratch"
ARCHIVE = _rid(SUB_B, "rg-archive", "Microsoft.Storage/storageAccounts", "archive")
CONTAINER = f"{PDSTORE}/blobServices/default/containers/records"
PD = {"PersonalData": "yes"}
NAMES = {  # assignment names, so their ids are known
    "root": "10000000-0000-4000-8000-000000000001",
    "dept": "10000000-0000-4000-8000-000000000002",
    "sub": "10000000-0000-4000-8000-000000000003",
    "abac": "10000000-0000-4000-8000-000000000004",
    "container": "10000000-0000-4000-8000-000000000005",
    "custom": "10000000-0000-4000-8000-000000000006",
    "vault": "10000000-0000-4000-8000-000000000007",
    "elsewhere": "10000000-0000-4000-8000-000000000008",
    "deny": "20000000-0000-4000-8000-000000000001",
}
CUSTOM_ROLE = "30000000-0000-4000-8000-000000000001"
BLOB_READ = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"


def build_estate() -> ArmState:
    s = ArmState()
    s.add_management_group(ROOT_MG)
    s.add_management_group(DEPT_MG, parent=ROOT_MG)
    s.add_subscription(SUB_A, "Department", management_group=DEPT_MG)
    s.add_subscription(SUB_B, "Archive", management_group=ROOT_MG)
    s.add_subscription(SUB_C, "Sandbox", management_group=ROOT_MG)
    s.add_storage_account(
        SUB_A, "rg-data", "pdstore", tags={**PD, "Owner": "Alice@Example.gov; dpo@example.gov"}
    )
    s.add_storage_account(
        SUB_A, "rg-data", "nokeys", tags={"personaldata": "yes"}, allow_shared_key_access=False
    )
    s.add_storage_account(SUB_A, "rg-data", "logs", tags={"env": "prod"})
    s.add_storage_account(
        SUB_A, "rg-data", "casey", tags={"PersonalData": "Yes"}
    )  # values are case-sensitive
    s.add_blob_container(PDSTORE, "records")
    s.add_cosmos_account(SUB_A, "rg-data", "patients", tags=PD, disable_local_auth=True)
    s.add_cosmos_sql_role_assignment(
        PATIENTS,
        "40000000-0000-4000-8000-000000000001",
        COSMOS_DATA_READER,
        ALICE,
        scope=f"{PATIENTS}/dbs/cases",
    )
    s.add_key_vault(SUB_A, "rg-data", "kv-rbac", tags=PD, enable_rbac_authorization=True)
    s.add_key_vault(
        SUB_A,
        "rg-data",
        "kv-policies",
        tags=PD,
        enable_rbac_authorization=None,
        access_policies=[
            {"tenantId": s.tenant_id, "objectId": ALICE, "permissions": {"secrets": ["get", "list"]}}
        ],
    )
    s.add_sql_server(SUB_A, "rg-data", "sql1", tags=PD, entra_admin=("dba@example.gov", BOB))
    s.add_sql_database(SQL1, "hrdb", tags={"personaldata": "yes", "owner": "hr@example.gov"})
    s.add_sql_database(SQL1, "scratch")
    s.add_sql_server(SUB_A, "rg-data", "sql2", tags=PD)
    s.add_storage_account(SUB_B, "rg-archive", "archive", tags=PD)
    s.add_role_definition(
        "Records reader",
        data_actions=[BLOB_READ],
        assignable_scopes=[f"/subscriptions/{SUB_B}/resourceGroups/rg-archive"],
        guid=CUSTOM_ROLE,
    )
    role = builtin_role_id
    mg = "/providers/Microsoft.Management/managementGroups/"
    s.add_role_assignment(mg + ROOT_MG, role("Storage Blob Data Reader"), CAROL, name=NAMES["root"])
    s.add_role_assignment(mg + DEPT_MG, role("Reader"), HR_GROUP, principal_type="Group", name=NAMES["dept"])
    s.add_role_assignment(f"/subscriptions/{SUB_A}", role("Contributor"), BOB, name=NAMES["sub"])
    s.add_role_assignment(
        PDSTORE, role("Storage Blob Data Reader"), ALICE, condition=CONDITION, name=NAMES["abac"]
    )
    s.add_role_assignment(CONTAINER, role("Storage Blob Data Contributor"), DAVE, name=NAMES["container"])
    s.add_role_assignment(ARCHIVE, CUSTOM_ROLE, ERIN, name=NAMES["custom"])
    s.add_role_assignment(KV_RBAC, role("Key Vault Secrets User"), ALICE, name=NAMES["vault"])
    s.add_role_assignment(f"/subscriptions/{SUB_C}", role("Owner"), FRANK, name=NAMES["elsewhere"])
    s.add_deny_assignment(
        NOKEYS, data_actions=[BLOB_READ], exclude_principals=[(ALICE, "User")], name=NAMES["deny"]
    )
    return s


@contextmanager
def running() -> Iterator[tuple[ArmSimulator, AzureClients]]:
    """The estate served by the simulator, and the connector's clients against it (closed after)."""
    with ArmSimulator(build_estate()) as simulator:
        with AzureClients(
            StaticToken("test-token"), endpoint=simulator.url, ca_bundle=simulator.ca_bundle
        ) as made:
            yield simulator, made
