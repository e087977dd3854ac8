"""What a cycle names that the configuration defines, checked against it.

A misspelt classification would switch its rule off silently (no store ever has it), and a system in scope
that is not enabled never syncs, so a campaign of the cycle could never start: both are refused when the
cycle is read, not discovered when it runs.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from reviews.cycles.candidate import Candidate, dotted
from reviews.cycles.definition import CycleDefinition
from reviews.cycles.yaml_lines import Loc


@dataclass(frozen=True, slots=True)
class References:
    """What a cycle names that the configuration defines (config.py), to check a cycle against it."""

    classifications: tuple[str, ...]  # every classification a store can have
    classification_tag: str  # the AWS tag that carries it ([aws] personal_data_tag)
    systems: tuple[str, ...]  # the enabled sources


def cross_check(candidate: Candidate, definition: CycleDefinition, references: References) -> list[str]:
    """What the cycle names that the configuration must define: classifications (a misspelt one would switch
    its rule off silently: no store ever has it) and the systems in scope (a disabled one never syncs, so a
    campaign could never start)."""
    problems = []
    known = ", ".join(references.classifications)

    def unknown(loc: Loc, value: str) -> None:
        close = difflib.get_close_matches(value, references.classifications, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]}? " if close else ""
        problems.append(
            f"{candidate.where(loc)}{dotted(loc)}: unknown classification {value!r}: {hint}"
            f"(the configuration's classifications: {known})"
        )

    for i, value in enumerate(definition.justification_required_for):
        if value not in references.classifications:
            unknown(("justification_required_for", i), value)
    tag = definition.scope.store_tags.get(references.classification_tag)
    if tag is not None and tag not in references.classifications:
        unknown(("scope", "store_tags", references.classification_tag), tag)
    in_scope = [system.value for system in definition.scope.systems] or list(references.systems)
    for field, values in (
        ("store_kinds", definition.scope.store_kinds),
        ("principal_types", definition.scope.principal_types),
    ):
        for i, value in enumerate(values):
            systems = _systems_of(value.value)
            if systems and not set(systems) & set(in_scope):
                where = candidate.where(("scope", field, i))
                why = (
                    f"scope.systems lists only {', '.join(in_scope)}"
                    if definition.scope.systems
                    else f"{' or '.join(systems)} is not enabled in the configuration"
                )
                problems.append(
                    f"{where}scope.{field}[{i}]: {value.value} belongs to {' or '.join(systems)}, but {why}: "
                    "it would match nothing"
                )
    for i, system in enumerate(definition.scope.systems):
        if system.value not in references.systems:
            where = candidate.where(("scope", "systems", i))
            problems.append(
                f"{where}scope.systems[{i}]: {system.value} is not enabled "
                f"in the configuration ([{system.value}] enabled = false): it never syncs, so a campaign of "
                "this cycle could never start"
            )
    return problems


def _systems_of(kind: str) -> tuple[str, ...]:
    """The systems a store kind or principal type comes from (none named: any, as `public`). Entra users and
    service principals also hold Azure access (Azure names its principals by their Entra object id)."""
    if kind in ("entra_user", "entra_service_principal", "entra_tenant"):
        return ("entra", "azure")
    if kind.startswith("entra_"):
        return ("entra",)
    if kind.startswith("azure_"):
        return ("azure",)
    return () if kind == "public" else ("aws",)
