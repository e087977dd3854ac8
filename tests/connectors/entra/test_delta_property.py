"""After any sequence of directory changes, an incremental sync equals a fresh full sync (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.entra.connector import EntraConnector
from reviews.clock import FrozenClock
from simulators.graph import GraphSimulator
from tests.connectors.entra.conftest import SECRETS, MemoryState, build_department, settings_for
from tests.helpers import T0

USERS = ["ana", "ben", "cat", "olu", "boss", "dee"]
GROUPS = ["payroll", "finance", "clerks", "casework-readers", "nested-readers"]
# The department's memberships (conftest), so that removals mostly hit something real.
MEMBERSHIPS = [
    ("payroll", "finance"),
    ("payroll", "ben"),
    ("payroll", "dee"),
    ("finance", "clerks"),
    ("finance", "ben"),
    ("clerks", "ana"),
    ("clerks", "payroll"),
    ("casework-readers", "cat"),
    ("casework-readers", "nested-readers"),
    ("nested-readers", "boss"),
]

change = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(GROUPS), st.sampled_from(USERS + GROUPS)),
    st.sampled_from(MEMBERSHIPS).map(lambda m: ("remove", m[0], m[1])),
    st.tuples(st.just("disable"), st.sampled_from(USERS), st.booleans()),
    st.tuples(st.just("delete"), st.sampled_from(["dee", "cat"]), st.none()),
    st.tuples(st.just("manager"), st.sampled_from(USERS), st.sampled_from(USERS)),
)


def _view(snapshot):  # what a review depends on
    return (
        sorted(
            (g.store_provider_id, g.principal_provider_id, str(g.access), tuple(map(str, g.path)))
            for g in snapshot.grants
        ),
        sorted((p.provider_id, p.enabled, p.guest, p.email) for p in snapshot.principals),
        sorted((p.email, p.manager_email) for p in snapshot.people),
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(change, min_size=1, max_size=6), min_size=1, max_size=3))
def test_incremental_equals_full_after_any_changes(rounds: list[list[tuple[str, str, object]]]) -> None:
    department = build_department()
    t, ids = department.tenant, department.ids
    with GraphSimulator(t, token="test-token", page_size=50) as sim:
        state = MemoryState()

        def connector(store: MemoryState) -> EntraConnector:
            return EntraConnector(
                settings_for(sim), SECRETS, clock=FrozenClock(T0), state=store, sleep=lambda _: None
            )

        connector(state).snapshot()
        for changes in rounds:  # several incremental syncs in a row, each after some changes
            for kind, target, value in changes:
                if not t.exists(ids[target]):
                    continue
                if kind == "add" and t.exists(ids[str(value)]) and value != target:
                    t.add_member(ids[target], ids[str(value)])
                elif kind == "remove":
                    t.remove_member(ids[target], ids[str(value)])
                elif kind == "disable":
                    t.update_user(ids[target], enabled=bool(value))
                elif kind == "delete":
                    t.delete_user(ids[target])
                elif kind == "manager" and t.exists(ids[str(value)]) and value != target:
                    t.set_manager(ids[target], ids[str(value)])
            incremental = connector(state).snapshot()
        assert _view(incremental) == _view(connector(MemoryState()).snapshot())
