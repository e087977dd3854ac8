"""Review cycles as code: files validated with file and line, applied as versions, listed, via the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from reviews import audit
from reviews.actors import Actor, Role
from reviews.clock import FrozenClock
from reviews.cycles.definition import CycleDefinition, NoResponse
from reviews.cycles.files import load_cycle_file, load_cycle_files
from reviews.cycles.manage import (
    ApplyOutcome,
    apply_cycles,
    definition_sha256,
    latest_cycle,
    list_cycles,
    validate_files,
)
from reviews.entitlements import AccessLevel
from reviews.errors import ConfigurationError, NotAuthorized, NotFound
from reviews.storage.models import AuditEvent, ReviewCycle
from tests.helpers import T0, run_cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "cycles"
ADMIN = Actor("cli:tester", roles=frozenset({Role.ADMIN}))
MINIMAL = "name: {name}\nreviewers:\n  fallback: sec@example.org\n"


def write(path: str, text: str | bytes) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        target.write_bytes(text)
    else:
        target.write_text(text, encoding="utf-8")
    return target


def problems(*paths: Path) -> list[str]:
    with pytest.raises(ConfigurationError) as caught:
        load_cycle_files(paths)
    return caught.value.problems


# --- reading files ------------------------------------------------------------------------------------------


def test_a_yaml_file_with_every_part_reads_into_a_definition() -> None:
    path = write(
        "cycles/q.yaml",
        """\
x-zone: &london
  timezone: Europe/London
name: quarterly
schedule:
  <<: *london
  cron: "0 9 1-7 */3 mon"
scope:
  access: [admin, write]
  store_names: ["no", "hr-*"]
reviewers: {order: [owner, manager, fallback], fallback: Sec@Example.org}
on_no_response: revoke
""",
    )
    definition = load_cycle_file(path)
    assert definition.name == "quarterly"
    assert definition.schedule is not None and definition.schedule.timezone == "Europe/London"
    assert definition.scope.access == [AccessLevel.ADMIN, AccessLevel.WRITE]
    assert definition.scope.store_names == ["no", "hr-*"]  # quoted "no" stays text
    assert definition.on_no_response is NoResponse.REVOKE
    assert definition.reviewers.fallback == "sec@example.org"


def test_a_wrong_type_names_file_line_and_key_and_is_not_coerced() -> None:
    path = write("cycles/q.yaml", MINIMAL.format(name="q") + 'duration_days: "14"\n')
    assert problems(path) == ['cycles/q.yaml:4: duration_days: Input should be a valid integer (got "14")']


def test_yaml_yes_where_text_is_expected_is_refused_with_a_hint() -> None:
    path = write("cycles/q.yaml", MINIMAL.format(name="q") + "scope:\n  store_names: [hr-*, no]\n")
    assert problems(path) == [
        "cycles/q.yaml:5: scope.store_names[1]: "
        "expected text, but YAML reads no as a boolean: put it in quotes"
    ]
    assert problems(write("cycles/y.yaml", "name: yes\n"))[0].startswith(
        "cycles/y.yaml:1: name: expected text, but YAML reads yes as a boolean"
    )


def test_a_yaml_date_where_text_is_expected_is_refused() -> None:
    path = write("cycles/q.yaml", MINIMAL.format(name="q") + "description: 2026-01-05\n")
    assert problems(path) == [
        "cycles/q.yaml:4: description: 2026-01-05 is read as a date or time: put it in quotes"
    ]


def test_an_unknown_key_gets_a_suggestion() -> None:
    path = write("cycles/q.yaml", MINIMAL.format(name="q") + "shedule:\n  cron: '0 9 * * mon'\n")
    assert problems(path) == ["cycles/q.yaml:4: shedule: unknown key; did you mean schedule?"]
    misplaced = write("cycles/m.yaml", MINIMAL.format(name="m") + "cron: '0 9 * * mon'\n")
    assert problems(misplaced) == ["cycles/m.yaml:4: cron: unknown key; did you mean schedule.cron?"]
    nested = write("cycles/n.yaml", MINIMAL.format(name="n") + "reminders:\n  day_before: [3]\n")
    assert problems(nested) == [
        "cycles/n.yaml:5: reminders.day_before: unknown key; did you mean days_before?"
    ]


def test_a_bad_cron_and_a_bad_time_zone_name_their_lines() -> None:
    path = write(
        "cycles/q.yaml",
        MINIMAL.format(name="q") + "schedule:\n  cron: '0 9 * * funday'\n  timezone: Mars/Olympus\n",
    )
    found = problems(path)
    assert found[0].startswith("cycles/q.yaml:5: schedule.cron: '0 9 * * funday': Invalid weekday name")
    assert found[1].startswith("cycles/q.yaml:6: schedule.timezone: unknown time zone 'Mars/Olympus'")
    never = write("cycles/never.yaml", MINIMAL.format(name="never") + "schedule: {cron: '0 9 31 2 *'}\n")
    assert "matches no date" in problems(never)[0]


def test_a_missing_fallback_names_the_reviewers_line() -> None:
    path = write("cycles/q.yaml", "name: q\ndescription: d\nreviewers:\n  order: [owner]\n")
    (problem,) = problems(path)
    assert problem.startswith("cycles/q.yaml:3: reviewers.fallback (an email) is required")


def test_a_missing_required_key_and_a_bad_list_item() -> None:
    path = write(
        "cycles/q.yaml",
        MINIMAL.format(name="q") + "schedule:\n  timezone: UTC\nscope:\n  access:\n    - read\n    - owner\n",
    )
    assert problems(path) == [
        "cycles/q.yaml:4: schedule.cron: required key is missing",
        "cycles/q.yaml:9: scope.access[1]: Input should be 'read', 'write' or 'admin' (got \"owner\")",
    ]


def test_yaml_syntax_errors_and_duplicate_keys_name_the_line() -> None:
    broken = write("cycles/b.yaml", "name: q\nschedule:\n  cron: [0 9\n  timezone: UTC\n")
    (problem,) = problems(broken)
    assert problem.startswith("cycles/b.yaml:") and "invalid YAML" in problem
    twice = write("cycles/t.yaml", MINIMAL.format(name="t") + "name: u\n")
    assert problems(twice) == ["cycles/t.yaml:4: key 'name' is given twice (first on line 1)"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "cycles/q.yaml: the file is empty"),
        ("# only a comment\n", "cycles/q.yaml: the file is empty"),
        (b"name: caf\xe9\n", "cycles/q.yaml:1: not UTF-8 text"),
        ("just words\n", "cycles/q.yaml:1: expected a cycle (a mapping with name, schedule, …), found text"),
        (
            "- name: a\n- 3\n",
            "cycles/q.yaml:2: expected a cycle (a mapping with name, schedule, …), found a number",
        ),
        ("cycles: {name: a}\n", "cycles/q.yaml:1: cycles: expected a list of cycles"),
        ("cycles: []\n", "cycles/q.yaml:1: the list of cycles is empty"),
    ],
)
def test_files_that_hold_no_cycle_say_why(content: str | bytes, expected: str) -> None:
    (problem,) = problems(write("cycles/q.yaml", content))
    assert problem.startswith(expected)


def test_aliases_that_explode_or_contain_themselves_are_refused() -> None:
    bomb = ["x-0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    bomb += [f"x-{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    path = write("cycles/bomb.yaml", "\n".join([*bomb, "name: q", "description: *a6", ""]))
    assert problems(path) == [
        "cycles/bomb.yaml:1: more than 100000 values once aliases are expanded: not a cycle"
    ]
    looped = write("cycles/loop.yaml", "name: q\nscope: &s {store_names: [*s]}\n")
    assert "nested more than 20 deep" in problems(looped)[0]


def test_a_toml_date_where_text_is_expected_is_refused() -> None:
    path = write(
        "cycles/q.toml", 'name = "q"\ndescription = 2026-01-05\nreviewers = { fallback = "s@e.org" }\n'
    )
    assert problems(path) == [
        "cycles/q.toml: description: 2026-01-05 is read as a date or time: put it in quotes"
    ]


def test_a_file_of_another_kind_is_refused() -> None:
    assert problems(write("cycles/q.json", "{}")) == ["cycles/q.json: expected a .yaml, .yml, .toml file"]
    assert problems(Path("cycles/absent.yaml"))[0].startswith("cycles/absent.yaml: cannot be read")


def test_a_yaml_file_may_hold_a_list_or_a_cycles_key() -> None:
    listed = write("a.yaml", "- name: a\n  reviewers:\n    fallback: sec@example.org\n")
    keyed = write(
        "b.yml",
        "x-fallback: &fallback {fallback: sec@example.org}\ncycles:\n"
        "  - {name: b1, reviewers: *fallback}\n  - {name: b2, reviewers: *fallback}\n",
    )
    assert [d.name for d in load_cycle_files([listed, keyed])] == ["a", "b1", "b2"]


def test_toml_syntax_errors_name_the_line() -> None:
    path = write("cycles/q.toml", 'name = "q"\n\n[schedule]\ncron = "0 9 * * mon\n')
    (problem,) = problems(path)
    assert problem.startswith("cycles/q.toml:4: invalid TOML: ")


def test_toml_may_hold_several_cycles_and_names_the_key_of_each_problem() -> None:
    good = write(
        "cycles/two.toml",
        """\
[[cycles]]
name = "monthly-admin"
scope = { access = ["admin"] }
reviewers = { fallback = "sec@example.org" }
schedule = { cron = "0 9 1-7 * mon", timezone = "Europe/London" }

[[cycles]]
name = "guests"
scope = { guests_only = true }
reviewers = { fallback = "sec@example.org" }
""",
    )
    assert [d.name for d in load_cycle_files([good])] == ["monthly-admin", "guests"]
    bad = write(
        "cycles/bad.toml",
        '[[cycles]]\nname = "a"\nreviewers = { fallback = "s@e.org" }\n'
        '[[cycles]]\nname = "b"\nreviewers = { fallback = "s@e.org" }\nduration_days = "7"\n',
    )
    assert problems(bad) == [
        "cycles/bad.toml: cycle 2 ('b'): duration_days: Input should be a valid integer (got \"7\")"
    ]


def test_duplicate_names_across_files_are_an_error_naming_both() -> None:
    first = write("cycles/a.yaml", MINIMAL.format(name="same"))
    second = write("cycles/b.toml", 'name = "same"\nreviewers = { fallback = "sec@example.org" }\n')
    assert problems(first, second) == [
        "cycles/b.toml: cycle name 'same' is already defined at cycles/a.yaml:1"
    ]


def test_a_directory_means_its_cycle_files_and_every_example_is_valid() -> None:
    examples = sorted(EXAMPLES.glob("*.yaml"))
    assert len(examples) == 3
    for path in examples:
        assert load_cycle_file(path).name == path.stem
    assert [d.name for d in validate_files([EXAMPLES])] == [p.stem for p in examples]


def test_the_quarterly_example_says_what_the_issue_asks() -> None:
    definition = load_cycle_file(EXAMPLES / "quarterly-personal-data.yaml")
    assert definition.schedule is not None
    starts = definition.schedule.trigger()
    fire = starts.get_next_fire_time(None, datetime(2026, 1, 1, tzinfo=UTC))
    assert fire is not None and fire.isoformat() == "2026-01-05T09:00:00+00:00"  # first Monday, GMT
    fire = starts.get_next_fire_time(None, datetime(2026, 2, 1, tzinfo=UTC))
    assert fire is not None and fire.isoformat() == "2026-04-06T09:00:00+01:00"  # first Monday, BST
    assert [s.applies_to for s in definition.stages] == ["all", "kept_admin"]
    assert definition.reminders.days_before == [7, 3, 1] and definition.escalate_after_days == 5
    assert definition.on_no_response is NoResponse.REVOKE
    assert definition.justification_required_for == ["special-category"]


# --- applying -----------------------------------------------------------------------------------------------


def _definition(**overrides: object) -> CycleDefinition:
    body: dict[str, object] = {"name": "quarterly", "reviewers": {"fallback": "sec@example.org"}}
    return CycleDefinition.model_validate(body | overrides)


def _versions(session: Session, name: str = "quarterly") -> list[int]:
    rows = session.exec(select(ReviewCycle).where(ReviewCycle.name == name)).all()
    return sorted(row.version for row in rows)


def _cycle_events(session: Session) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.kind == "cycle.applied").order_by(col(AuditEvent.seq))
    return list(session.exec(query).all())


def test_applying_twice_unchanged_keeps_one_version_and_a_change_makes_version_two(session: Session) -> None:
    clock = FrozenClock(T0)
    first = apply_cycles(session, [_definition()], actor=ADMIN, clock=clock)
    session.commit()
    again = apply_cycles(session, [_definition()], actor=ADMIN, clock=clock)
    session.commit()
    assert [(r.version, r.outcome) for r in first + again] == [
        (1, ApplyOutcome.CREATED),
        (1, ApplyOutcome.UNCHANGED),
    ]
    assert _versions(session) == [1]
    # Normalised before hashing: the same reminders in another order are the same definition.
    same = _definition(reminders={"days_before": [1, 7, 3]})
    assert apply_cycles(session, [same], actor=ADMIN, clock=clock)[0].outcome is ApplyOutcome.UNCHANGED

    clock.advance(timedelta(days=1))
    changed = _definition(duration_days=21)
    (result,) = apply_cycles(session, [changed], actor=ADMIN, clock=clock)
    session.commit()
    assert (result.version, result.outcome, result.sha256) == (
        2,
        ApplyOutcome.UPDATED,
        definition_sha256(changed),
    )
    assert _versions(session) == [1, 2]

    row, definition = latest_cycle(session, "quarterly")
    assert (row.version, row.applied_by, row.applied_at, definition.duration_days) == (
        2,
        "cli:tester",
        T0 + timedelta(days=1),
        21,
    )
    events = _cycle_events(session)
    assert [(e.subject, e.actor, e.payload["version"]) for e in events] == [
        ("cycle:quarterly", "cli:tester", 1),
        ("cycle:quarterly", "cli:tester", 2),
    ]
    assert events[1].payload["sha256"] == row.definition_sha256
    assert events[1].payload["previous_sha256"] == events[0].payload["sha256"]
    audit.verify(session)


def test_only_an_admin_applies_cycles(session: Session) -> None:
    auditor = Actor("slack:U1", roles=frozenset({Role.AUDITOR}))
    with pytest.raises(NotAuthorized):
        apply_cycles(session, [_definition()], actor=auditor, clock=FrozenClock(T0))
    assert _versions(session) == []


def test_list_shows_the_latest_version_with_its_next_start(session: Session) -> None:
    clock = FrozenClock(T0)  # 2026-03-01 09:00 UTC
    quarterly = _definition(schedule={"cron": "0 9 1-7 */3 mon", "timezone": "Europe/London"})
    manual = _definition(name="by-hand")
    apply_cycles(session, [quarterly, manual], actor=ADMIN, clock=clock)
    apply_cycles(session, [_definition(name="by-hand", description="v2")], actor=ADMIN, clock=clock)
    session.commit()
    listed = {summary.name: summary for summary in list_cycles(session, clock=clock)}
    assert list(listed) == ["by-hand", "quarterly"]
    assert (listed["by-hand"].version, listed["by-hand"].schedule, listed["by-hand"].next_start) == (
        2,
        "by hand only",
        None,
    )
    assert listed["quarterly"].schedule == "0 9 1-7 */3 mon (Europe/London)"
    assert listed["quarterly"].next_start == datetime(2026, 4, 6, 8, 0, tzinfo=UTC)


def test_latest_cycle_of_an_unknown_name_lists_the_known_ones(session: Session) -> None:
    with pytest.raises(NotFound, match="none applied yet"):
        latest_cycle(session, "quarterly")
    apply_cycles(session, [_definition(name="b"), _definition(name="a")], actor=ADMIN, clock=FrozenClock(T0))
    with pytest.raises(NotFound, match=r"no review cycle named 'quarterly' \(known: a, b\)"):
        latest_cycle(session, "quarterly")


# --- the command line ---------------------------------------------------------------------------------------


def test_cli_validate_prints_each_cycle_or_the_problems(capsys, monkeypatch) -> None:
    result = run_cli(capsys, monkeypatch, "cycles", "validate", str(EXAMPLES))
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and all(line.startswith("ok: ") and "next start" in line for line in lines)
    assert "ok: quarterly-personal-data — schedule 0 9 1-7 */3 mon (Europe/London), next start" in lines[2]

    write("cycles/bad.yaml", MINIMAL.format(name="bad") + "on_no_response: yes\n")
    result = run_cli(capsys, monkeypatch, "cycles", "validate", str(EXAMPLES), "cycles/bad.yaml")
    assert result.code == 2 and result.stdout == ""
    assert "cycles/bad.yaml:4: on_no_response: " in result.stderr
    assert not Path("recertify.db").exists()  # validating opens no database


def test_cli_apply_and_list(database_url: str, engine: Engine, capsys, monkeypatch) -> None:
    env = {"RECERTIFY_DATABASE_URL": database_url}
    result = run_cli(capsys, monkeypatch, "cycles", "apply", str(EXAMPLES), env=env)
    assert result.code == 0, result.stderr
    assert "created: quarterly-personal-data version 1 (sha256 " in result.stdout

    again = run_cli(capsys, monkeypatch, "cycles", "apply", str(EXAMPLES / "guests-only.yaml"), env=env)
    assert again.code == 0 and again.stdout.startswith("unchanged: guests-only version 1")

    listed = run_cli(capsys, monkeypatch, "cycles", "list", "--format", "json", env=env)
    assert listed.code == 0, listed.stderr
    cycles = json.loads(listed.stdout)
    assert [c["name"] for c in cycles] == ["guests-only", "monthly-admin-access", "quarterly-personal-data"]
    assert all(c["version"] == 1 and c["applied_by"].startswith("cli:") and c["next_start"] for c in cycles)

    table = run_cli(capsys, monkeypatch, "cycles", "list", env=env)
    assert table.code == 0 and "monthly-admin-access" in table.stdout
    with Session(engine) as session:
        assert len(_cycle_events(session)) == 3


def test_cli_apply_with_one_invalid_file_writes_nothing(
    database_url: str, engine: Engine, capsys, monkeypatch
) -> None:
    write("cycles/good.yaml", MINIMAL.format(name="good"))
    write("cycles/bad.yaml", MINIMAL.format(name="bad") + "duration_days: 0\n")
    env = {"RECERTIFY_DATABASE_URL": database_url}
    result = run_cli(capsys, monkeypatch, "cycles", "apply", "cycles/good.yaml", "cycles/bad.yaml", env=env)
    assert result.code == 2
    assert "cycles/bad.yaml:4: duration_days: " in result.stderr
    with Session(engine) as session:
        assert session.exec(select(ReviewCycle)).all() == []
        assert _cycle_events(session) == []


def test_cli_list_on_an_empty_database_prints_an_empty_array(database_url: str, capsys, monkeypatch) -> None:
    env = {"RECERTIFY_DATABASE_URL": database_url}
    result = run_cli(capsys, monkeypatch, "cycles", "list", "--format", "json", env=env)
    assert result.code == 0 and json.loads(result.stdout) == []


def test_cli_start_of_an_unknown_cycle_names_the_known_ones_to_an_admin_only(
    database_url: str, capsys, monkeypatch
) -> None:
    env = {"RECERTIFY_DATABASE_URL": database_url}
    assert (
        run_cli(capsys, monkeypatch, "cycles", "apply", str(EXAMPLES / "guests-only.yaml"), env=env).code == 0
    )
    admin = run_cli(capsys, monkeypatch, "campaign", "start", "nosuchcycle", env=env)
    assert admin.code == 1
    assert admin.stderr == "error: no review cycle named 'nosuchcycle' (known: guests-only)\n"
    refusals = {
        run_cli(capsys, monkeypatch, "--role", "auditor", "campaign", "start", name, env=env).stderr
        for name in ("guests-only", "nosuchcycle")
    }
    assert refusals == {
        "error: auditors only read: `recertify campaign start` changes things (run it as an admin)\n"
    }


def test_cli_validate_checks_what_a_cycle_names_against_the_configuration(capsys, monkeypatch) -> None:
    """A misspelt classification would switch its rule off silently (no store ever has it); a system in scope
    that is not enabled never syncs, so the cycle could never start. Both are errors naming file and line."""
    write(
        "cycles/typo.yaml",
        MINIMAL.format(name="typo")
        + "justification_required_for: [special-categroy, secret]\n"
        + "scope:\n  systems: [aws, entra]\n  store_tags:\n    data-classification: personnal\n",
    )
    result = run_cli(
        capsys,
        monkeypatch,
        "cycles",
        "validate",
        "cycles/typo.yaml",
        env={"RECERTIFY_ENTRA_ENABLED": "false"},
    )
    assert result.code == 2 and result.stdout == ""
    known = "(the configuration's classifications: personal, special-category)"
    assert result.stderr.splitlines() == [
        "error: invalid configuration:",
        "  - cycles/typo.yaml:4: justification_required_for[0]: unknown classification 'special-categroy': "
        f"did you mean special-category? {known}",
        f"  - cycles/typo.yaml:4: justification_required_for[1]: unknown classification 'secret': {known}",
        "  - cycles/typo.yaml:6: scope.systems[1]: entra is not enabled in the configuration "
        "([entra] enabled = false): it never syncs, so a campaign of this cycle could never start",
        "  - cycles/typo.yaml:8: scope.store_tags.data-classification: unknown classification 'personnal': "
        f"did you mean personal? {known}",
    ]
    # The classifications are the configuration's: a value it adds is known, and apply checks the same.
    env = {
        "RECERTIFY_AWS_PERSONAL_DATA_VALUES": '["personal", "special-categroy", "secret", "personnal"]',
        "RECERTIFY_ENTRA_ENABLED": "true",
    }
    assert run_cli(capsys, monkeypatch, "cycles", "validate", "cycles/typo.yaml", env=env).code == 0
    env = {"RECERTIFY_AWS_PERSONAL_DATA_VALUES": '["personal", "special-category"]'}
    refused = run_cli(capsys, monkeypatch, "cycles", "apply", "cycles/typo.yaml", env=env)
    assert refused.code == 2 and "did you mean special-category?" in refused.stderr
    assert not Path("recertify.db").exists()  # refused before the database is opened


def test_cli_validate_refuses_kinds_and_types_no_system_in_scope_has(capsys, monkeypatch) -> None:
    write(
        "cycles/kinds.yaml",
        MINIMAL.format(name="kinds")
        + "scope:\n  systems: [aws]\n  store_kinds: [s3_bucket, entra_group, azure_key_vault]\n"
        + "  principal_types: [public, entra_user]\n",
    )
    write("cycles/apps.yaml", MINIMAL.format(name="apps") + "scope:\n  store_kinds: [entra_app]\n")
    env = {"RECERTIFY_ENTRA_ENABLED": "false"}
    result = run_cli(
        capsys, monkeypatch, "cycles", "validate", "cycles/kinds.yaml", "cycles/apps.yaml", env=env
    )
    assert result.code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: invalid configuration:",
        "  - cycles/kinds.yaml:6: scope.store_kinds[1]: entra_group belongs to entra, but scope.systems "
        "lists only aws: it would match nothing",
        "  - cycles/kinds.yaml:6: scope.store_kinds[2]: azure_key_vault belongs to azure, but scope.systems "
        "lists only aws: it would match nothing",
        # Azure names its principals by their Entra object id: an Entra user holds Azure access too.
        "  - cycles/kinds.yaml:7: scope.principal_types[1]: entra_user belongs to entra or azure, but "
        "scope.systems lists only aws: it would match nothing",
        "  - cycles/apps.yaml:5: scope.store_kinds[0]: entra_app belongs to entra, but entra is not enabled "
        "in the configuration: it would match nothing",
    ]
    enabled = run_cli(
        capsys, monkeypatch, "cycles", "validate", "cycles/apps.yaml", env={"RECERTIFY_ENTRA_ENABLED": "true"}
    )
    assert enabled.code == 0 and enabled.stdout.startswith("ok: apps")
