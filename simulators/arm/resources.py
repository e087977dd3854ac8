"""Subscriptions, resource groups and resources: lists (paged) and the generic get by id.

"Resources - List" ($filter): "You can filter by tag names and values. For example, to filter for a tag
name and value, use $filter=tagName eq 'tag1' and tagValue eq 'Value1'. When you filter by a tag name and
value, the tags for each resource are not returned in the results." Tag names compare without case, values
with case ("Use tags to organize your Azure resources": "Tag names are case-insensitive for operations. …
Tag values are case-sensitive."). A list holds tracked resources (those with a location) without their
`properties`; a get by id returns the whole resource. `$top` caps the list ("The number of results to
return. If null is passed, returns all resources."); `$expand` is accepted and adds nothing. A get on
`{resource}/{childType}` lists the children.
"""

from __future__ import annotations

import copy
from typing import Any

from simulators.arm.errors import ArmError, bad_request, resource_not_found
from simulators.arm.permissions import authorize
from simulators.arm.protocol import Paging, Request, Response, parse_filter
from simulators.arm.scopes import normalize, resource_action
from simulators.arm.state import ArmState


def list_subscriptions(state: ArmState, paging: Paging, request: Request) -> Response:
    def compute(query: dict[str, str]) -> list[dict[str, Any]]:
        items = [state.subscriptions[s] for s in sorted(state.subscriptions)]
        return items

    return paging.respond(request, compute)


def get_subscription(state: ArmState, request: Request, subscription_id: str) -> Response:
    wire = _subscription(state, subscription_id)
    return Response(200, copy.deepcopy(wire))


def list_resource_groups(state: ArmState, paging: Paging, request: Request, subscription_id: str) -> Response:
    _subscription(state, subscription_id)
    authorize(
        "Microsoft.Resources/subscriptions/resourceGroups/read",
        request.path,
        state.allowed_actions,
        state.caller_id,
    )

    def compute(query: dict[str, str]) -> list[dict[str, Any]]:
        prefix = f"/subscriptions/{subscription_id}/resourcegroups/".lower()
        items = [v for k, v in sorted(state.resource_groups.items()) if k.startswith(prefix)]
        return items

    return paging.respond(request, compute)


def get_resource_group(state: ArmState, request: Request, subscription_id: str, name: str) -> Response:
    _subscription(state, subscription_id)
    authorize(
        "Microsoft.Resources/subscriptions/resourceGroups/read",
        request.path,
        state.allowed_actions,
        state.caller_id,
    )
    return Response(200, copy.deepcopy(_resource_group(state, subscription_id, name)))


def list_resources(
    state: ArmState, paging: Paging, request: Request, subscription_id: str, group: str | None
) -> Response:
    _subscription(state, subscription_id)
    if group is not None:
        _resource_group(state, subscription_id, group)
        action = "Microsoft.Resources/subscriptions/resourceGroups/resources/read"
    else:
        action = "Microsoft.Resources/subscriptions/resources/read"
    authorize(action, request.path, state.allowed_actions, state.caller_id)

    def compute(query: dict[str, str]) -> list[dict[str, Any]]:
        wanted = parse_filter(query.get("$filter"))
        unknown = set(wanted) - {"tagname", "tagvalue", "resourcetype"}
        if unknown or ("tagvalue" in wanted and "tagname" not in wanted):
            raise ArmError(
                400,
                "InvalidFilterInQueryString",
                f"Invalid $filter '{query.get('$filter')}' specified in the query string.",
            )
        prefix = request.lowered.removesuffix("/resources") + "/"
        items = []
        for key, wire in sorted(state.resources.items()):
            if not key.startswith(prefix) or "location" not in wire or not _passes(wire, wanted):
                continue
            listed = {k: v for k, v in wire.items() if k != "properties"}
            if "tagname" in wanted:
                listed.pop("tags", None)  # documented: filtered by tag, tags are not returned
            items.append(listed)
        top = query.get("$top")
        if top is not None:  # "The number of results to return. If null is passed, returns all resources."
            if not top.isdigit():
                raise bad_request("InvalidQueryParameterValue", f"The value '{top}' of $top is not a number.")
            items = items[: int(top)]
        return items

    return paging.respond(request, compute)


def get_generic(state: ArmState, paging: Paging, request: Request) -> Response:
    """A resource by its id, or the children of a resource under `{resource}/{childType}`."""
    path = normalize(request.path)
    parts = path.split("/")
    _subscription(state, parts[2])
    # ARM decides the caller's permission before it looks the scope up: its refusal reads "… does not have
    # authorization to perform action '…' over scope '…' or the scope is invalid" (AuthorizationFailed).
    authorize(resource_action(path, "read"), path, state.allowed_actions, state.caller_id)
    if len(parts) > 4:
        _resource_group(state, parts[2], parts[4])
    wire = state.resources.get(path.lower())
    if wire is not None:
        return Response(200, copy.deepcopy(wire))
    parent = path.rsplit("/", 1)[0].lower()
    if parent in state.resources:

        def compute(query: dict[str, str]) -> list[dict[str, Any]]:
            prefix = path.lower() + "/"
            items = [
                v
                for k, v in sorted(state.resources.items())
                if k.startswith(prefix) and "/" not in k[len(prefix) :]
            ]
            return items

        return paging.respond(request, compute)
    raise resource_not_found(path)


def _passes(wire: dict[str, Any], wanted: dict[str, str]) -> bool:
    if "resourcetype" in wanted and wire["type"].lower() != wanted["resourcetype"].lower():
        return False
    if "tagname" in wanted:
        tags = {k.lower(): v for k, v in (wire.get("tags") or {}).items()}
        name = wanted["tagname"].lower()
        if name not in tags or ("tagvalue" in wanted and tags[name] != wanted["tagvalue"]):
            return False
    return True


def _subscription(state: ArmState, subscription_id: str) -> dict[str, Any]:
    for key, wire in state.subscriptions.items():
        if key.lower() == subscription_id.lower():
            return wire
    raise ArmError(404, "SubscriptionNotFound", f"The subscription '{subscription_id}' could not be found.")


def _resource_group(state: ArmState, subscription_id: str, name: str) -> dict[str, Any]:
    wire = state.resource_groups.get(f"/subscriptions/{subscription_id}/resourcegroups/{name}".lower())
    if wire is None:
        raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
    return wire
