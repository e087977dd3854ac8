"""Azure RBAC's evaluation, rule by rule, each test quoting the Microsoft Learn page it implements.

Pages: "Understand Azure role definitions" (role-definitions), "What is Azure role-based access control
(Azure RBAC)?" (overview), "Understand Azure deny assignments" (deny-assignments),
learn.microsoft.com/azure/role-based-access-control/…
"""

from __future__ import annotations

import random

from connectors.azure.actions import Plane, covers, matches
from connectors.azure.evaluate import effective_access
from connectors.azure.model import EVERYONE, Permission, PrincipalType
from connectors.azure.scopes import Relation
from tests.connectors.azure.evaluate_world import (
    ACCOUNT,
    ANA,
    BLOB_CONTRIBUTOR,
    BLOB_READER,
    BOB,
    CONTRIBUTOR,
    DEPT_MG,
    HR,
    OWNER,
    READER,
    RG,
    SUBSCRIPTION,
    USER_ACCESS_ADMIN,
    assign,
    deny,
    grants,
    inventory,
    levels,
    role,
    sql_server,
    storage,
    vault,
)

BLOB_READ = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
BLOB_WRITE = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write"
LIST_KEYS = "Microsoft.Storage/storageAccounts/listkeys/action"


def test_wildcard_matches_every_operation_that_fits_the_string() -> None:
    """role-definitions, Actions format: "`*` | The wildcard character grants access to all actions that
    match the string."; Actions: "`Microsoft.Network/*/read` | Grants access to read actions for all resource
    types in the Microsoft.Network resource provider." So `*` spans segments, and the rest must match."""
    assert matches("Microsoft.Network/*/read", "Microsoft.Network/virtualNetworks/subnets/read")
    assert not matches("Microsoft.Network/*/read", "Microsoft.Network/virtualNetworks/write")
    assert matches("*", LIST_KEYS)
    assert matches("Microsoft.Storage/*", LIST_KEYS)
    assert not matches("Microsoft.Storage/storageAccounts/read", LIST_KEYS)


def test_operation_strings_compare_case_insensitively() -> None:
    """role-definitions: the Contributor role's NotActions are "Microsoft.Authorization/*/Write" (capital W),
    and "In the case of the Contributor role, NotActions removes this role's ability to manage access to
    resources" — whose operation is `Microsoft.Authorization/roleAssignments/write`. The page's own example
    `microsoft.web/sites/restart/Action` "Grants access to restart a web app" (Microsoft.Web/sites/…)."""
    assert matches("Microsoft.Authorization/*/Write", "Microsoft.Authorization/roleAssignments/write")
    assert matches("microsoft.web/sites/restart/Action", "Microsoft.Web/sites/restart/action")
    assert not covers(CONTRIBUTOR.permissions, "Microsoft.Authorization/roleAssignments/write", Plane.CONTROL)


def test_not_actions_are_subtracted_from_actions() -> None:
    """role-definitions, NotActions: "The access granted by a role (effective permissions) is computed by
    subtracting the NotActions actions from the Actions actions. `Actions - NotActions = Effective control
    plane permissions`". Contributor (`*` minus Microsoft.Authorization writes) may list keys but not assign
    roles."""
    inv = inventory(storage(allow_shared_key_access=False), assign(CONTRIBUTOR, RG))
    assert levels(inv) == set()  # no keys route (shared keys off), and assigning roles is subtracted
    assert levels(inventory(storage(allow_shared_key_access=False), assign(OWNER, RG))) == {"admin"}


def test_not_actions_are_no_deny_a_second_role_grants_the_action() -> None:
    """role-definitions, note: "If a user is assigned a role that excludes an action in NotActions, and is
    assigned a second role that grants access to the same action, the user is allowed to perform that
    action. NotActions is not a deny rule"."""
    inv = inventory(storage(False), assign(CONTRIBUTOR, RG), assign(USER_ACCESS_ADMIN, ACCOUNT))
    assert levels(inv) == {"admin"}


def test_not_actions_subtract_only_within_their_own_permission_block() -> None:
    """overview, step 6: "If the roles include Actions that have a wildcard (*), the effective permissions are
    computed by subtracting the NotActions from the allowed Actions" — per role, as the union of its blocks:
    one block's NotActions does not remove what another block of the same role allows."""
    two_blocks = role(
        "00000000-0000-0000-0000-0000000000b2",
        "Two blocks",
        Permission(actions=("Microsoft.Storage/*",), not_actions=(LIST_KEYS,)),
        Permission(actions=(LIST_KEYS,)),
    )
    assert covers(two_blocks.permissions, LIST_KEYS, Plane.CONTROL)


def test_data_actions_minus_not_data_actions_and_planes_never_mix() -> None:
    """role-definitions, NotDataActions: "`DataActions - NotDataActions = Effective data plane
    permissions`"; and "By adding these data properties, the separation between control plane and data plane
    is maintained. This prevents current role assignments with wildcards (`*`) from suddenly having accessing
    to data." A control-plane `*` covers no data action; a data wildcard covers no control action."""
    blobs_but_no_writes = role(
        "00000000-0000-0000-0000-0000000000d1",
        "Blob reader by subtraction",
        Permission(
            data_actions=("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*",),
            not_data_actions=(
                BLOB_WRITE,
                "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete",
                "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
            ),
        ),
    )
    roles = (blobs_but_no_writes, OWNER)
    assert levels(inventory(storage(False), assign(blobs_but_no_writes, ACCOUNT), roles=roles)) == {"read"}
    assert not covers(OWNER.permissions, BLOB_READ, Plane.DATA)
    assert not covers((Permission(data_actions=("*",)),), LIST_KEYS, Plane.CONTROL)


def test_owner_on_the_subscription_reads_no_data_without_the_keys() -> None:
    """role-definitions, Data actions example: "Since Alice has a wildcard (`*`) action at a subscription
    scope, their permissions inherit down to enable them to perform all control plane actions. ... However,
    Alice cannot perform data plane actions without taking additional steps. ... To read the blobs, Alice
    would have to retrieve the storage access keys and use them to access the blobs." With shared keys
    disallowed there are no keys to use: Owner is admin, not a reader."""
    assert levels(inventory(storage(False), assign(OWNER, SUBSCRIPTION))) == {"admin"}
    assert levels(inventory(storage(None), assign(OWNER, SUBSCRIPTION))) == {"read", "write", "admin"}


def test_reader_has_no_data_access() -> None:
    """role-definitions, Control and data actions: "if a user has a Reader role on a subscription, then they
    can view the storage account, but by default they can't view the underlying data." Reader's `*/read`
    reaches no data action, no key listing (a POST action) and no role assignment, on any store whose data is
    behind data actions (Cosmos DB's read-only keys are the exception: test_evaluate_kinds)."""
    stores = (storage(None), vault(True), sql_server())
    inv = inventory(stores, assign(READER, SUBSCRIPTION))
    assert effective_access(inv) == ()


def test_assignments_inherit_from_management_groups_down_to_the_store() -> None:
    """overview, Scope: "In Azure, you can specify a scope at four levels: management group, subscription,
    resource group, or resource. Scopes are structured in a parent-child relationship. You can assign roles at
    any of these levels of scope." The grant records where it was made (revocation depends on it)."""
    at_mg = assign(BLOB_READER, f"/providers/Microsoft.Management/managementGroups/{DEPT_MG}")
    grant = grants(inventory(storage(False), at_mg))[(ANA, ACCOUNT, "read")]
    assert grant.grantor.relation is Relation.INHERITED
    at_rg = grants(inventory(storage(False), assign(BLOB_READER, RG)))[(ANA, ACCOUNT, "read")]
    assert at_rg.grantor.relation is Relation.RESOURCE_GROUP
    at_store = grants(inventory(storage(False), assign(BLOB_READER, ACCOUNT.upper())))[(ANA, ACCOUNT, "read")]
    assert at_store.grantor.relation is Relation.STORE and at_store.grantor.direct


def test_an_assignment_below_the_store_counts_as_the_store_and_says_so() -> None:
    """overview, Scope: scopes are "structured in a parent-child relationship"; a role assigned on one
    container of the account gives access to part of the store, which counts as the store (as an S3 prefix
    does), the path naming the part."""
    container = f"{ACCOUNT}/blobServices/default/containers/cases"
    grant = grants(inventory(storage(False), assign(BLOB_CONTRIBUTOR, container)))[(ANA, ACCOUNT, "write")]
    assert grant.grantor.relation is Relation.BELOW
    assert "blobServices/default/containers/cases (part of the store)" in grant.path[-1].name


def test_deny_assignments_take_precedence_over_role_assignments() -> None:
    """overview, Deny assignments: "deny assignments block users from performing specified actions even if a
    role assignment grants them access. Deny assignments take precedence over role assignments." """
    blocked = deny(RG, ANA, data=(BLOB_READ,))
    assert levels(inventory(storage(False), assign(BLOB_CONTRIBUTOR, ACCOUNT), denies=(blocked,))) == {
        "write"
    }


def test_a_deny_for_all_principals_spares_only_the_excluded() -> None:
    """deny-assignments, The All Principals principal: "If the principal ID is a zero GUID
    00000000-0000-0000-0000-000000000000 and the principal type is SystemDefined, the principal represents all
    principals." "All Principals can be combined with ExcludePrincipals to deny all principals except some
    users." """
    everyone_but_bob = deny(SUBSCRIPTION, EVERYONE, data=("*",), exclude=(BOB,))
    inv = inventory(
        storage(False),
        assign(BLOB_READER, ACCOUNT, ANA),
        assign(BLOB_READER, ACCOUNT, BOB),
        denies=(everyone_but_bob,),
    )
    assert levels(inv, ANA) == set()
    assert levels(inv, BOB) == {"read"}


def test_a_deny_that_does_not_apply_to_child_scopes_stops_at_its_scope() -> None:
    """deny-assignments, properties: "`DoNotApplyToChildScopes` | No | Boolean | Specifies whether the deny
    assignment applies to child scopes. Default value is false." """
    grant = assign(BLOB_READER, ACCOUNT)
    at_rg = deny(RG, ANA, data=("*",), not_to_children=True)
    at_store = deny(ACCOUNT, ANA, data=("*",), not_to_children=True)
    assert levels(inventory(storage(False), grant, denies=(at_rg,))) == {"read"}
    assert levels(inventory(storage(False), grant, denies=(at_store,))) == set()


def test_a_deny_to_a_group_reaches_its_members_transitively() -> None:
    """overview, How Azure RBAC determines access: "The token includes the user's group memberships (including
    transitive group memberships)." ... "If a deny assignment applies, access is blocked." Bob is in Staff,
    which is in HR: a deny to HR blocks him; excluding HR spares its members."""
    grant = assign(BLOB_READER, ACCOUNT, BOB)
    assert levels(inventory(storage(False), grant, denies=(deny(RG, HR, data=("*",)),)), BOB) == set()
    spared = deny(RG, EVERYONE, data=("*",), exclude=(HR,))
    assert levels(inventory(storage(False), grant, denies=(spared,)), BOB) == {"read"}


def test_a_deny_on_other_operations_leaves_the_route_open() -> None:
    """deny-assignments, properties: "`Permissions.DataActions` ... specify the data operations to which the
    deny assignment blocks access" — only those: a deny of blob writes leaves reading, and a deny of one key
    operation leaves the others of the same route (regenerating the keys returns them too)."""
    inv = inventory(
        storage(None), assign(CONTRIBUTOR, ACCOUNT), denies=(deny(ACCOUNT, ANA, actions=(LIST_KEYS,)),)
    )
    assert levels(inv) == {"read", "write", "admin"}
    every_key_route = deny(ACCOUNT, ANA, actions=("Microsoft.Storage/storageAccounts/*/action",))
    assert levels(inventory(storage(None), assign(CONTRIBUTOR, ACCOUNT), denies=(every_key_route,))) == set()


def test_a_deny_with_a_condition_leaves_the_grant_conditional() -> None:
    """DenyAssignment interface (@azure/arm-authorization, Microsoft Learn), `condition`: "The conditions on
    the deny assignment. This limits the resources it can be assigned to." Whether it blocks depends on what
    the condition is evaluated against: the grant is neither dropped nor certain."""
    maybe = deny(RG, ANA, data=("*",), condition="@Resource[x] StringEquals 'y'")
    grant = grants(inventory(storage(False), assign(BLOB_READER, ACCOUNT), denies=(maybe,)))
    assert grant[(ANA, ACCOUNT, "read")].conditional


def test_an_abac_condition_makes_the_grant_conditional() -> None:
    """overview, steps 8-9: "If the role assignment includes conditions, they are evaluated. Otherwise access
    is allowed." "If conditions are met, access is allowed. Otherwise access is not allowed." Whether the
    condition is met depends on the request: the grant is conditional."""
    condition = (
        "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'cases'"
    )
    grant = grants(inventory(storage(False), assign(BLOB_READER, ACCOUNT, condition=condition)))
    assert grant[(ANA, ACCOUNT, "read")].conditional
    assert "(with a condition)" in grant[(ANA, ACCOUNT, "read")].path[-1].name


def test_an_unconditional_path_is_preferred_to_a_shorter_conditional_one() -> None:
    """overview, Multiple role assignments: "Azure RBAC is an additive model, so your effective permissions
    are the sum of your role assignments." One unconditional assignment makes the access unconditional."""
    conditional = assign(BLOB_READER, ACCOUNT, condition="@Request[x] StringEquals 'y'")
    through_group = assign(BLOB_READER, RG, HR, PrincipalType.GROUP)
    grant = grants(inventory(storage(False), conditional, through_group))[(ANA, ACCOUNT, "read")]
    assert not grant.conditional
    assert [step.kind for step in grant.path] == ["group", "role_assignment"]


# Property-style checks over random role definitions and deny assignments (seeded, so reproducible).

_OPERATIONS = [LIST_KEYS, BLOB_READ, BLOB_WRITE, "Microsoft.Authorization/roleAssignments/write"]
_PATTERNS = ["*", "*/read", "Microsoft.Storage/*", "Microsoft.Storage/*/action", *_OPERATIONS]


def _random_block(rng: random.Random) -> Permission:
    def pick() -> tuple[str, ...]:
        return tuple(rng.sample(_PATTERNS, rng.randint(0, 3)))

    return Permission(actions=pick(), not_actions=pick(), data_actions=pick(), not_data_actions=pick())


def test_adding_a_deny_assignment_never_adds_access() -> None:
    """overview: deny assignments "block users from performing specified actions": they only take away."""
    rng = random.Random(19)  # noqa: S311  (reproducible cases, not secrets)
    for _ in range(60):
        custom = role(
            "00000000-0000-0000-0000-0000000000c1", "Custom", _random_block(rng), _random_block(rng)
        )
        base = inventory(storage(rng.choice([None, False])), assign(custom, RG), roles=(custom,))
        before = set(grants(base))
        extra = deny(RG, rng.choice([ANA, EVERYONE, HR]), actions=tuple(rng.sample(_PATTERNS, 2)))
        after = set(grants(inventory(base.stores, *base.role_assignments, denies=(extra,), roles=(custom,))))
        assert after <= before


def test_adding_not_actions_never_widens_a_role() -> None:
    """role-definitions: NotActions "specifies the control plane actions that are subtracted or excluded from
    the allowed Actions": adding to it can only narrow what the role covers."""
    rng = random.Random(7)  # noqa: S311  (reproducible cases, not secrets)
    for _ in range(200):
        block = _random_block(rng)
        narrower = Permission(
            block.actions,
            (*block.not_actions, rng.choice(_PATTERNS)),
            block.data_actions,
            (*block.not_data_actions, rng.choice(_PATTERNS)),
        )
        for operation in _OPERATIONS:
            for plane in Plane:
                assert covers((block,), operation, plane) >= covers((narrower,), operation, plane)
