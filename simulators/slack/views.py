"""Modals and the App Home: views.open, views.push, views.update, views.publish (all Tier 4).

As Slack documents them (docs.slack.dev/reference/methods/views.*, docs.slack.dev/surfaces/modals):

- `views.open` (`trigger_id`, `view`): a trigger id is issued with each interaction payload (see
  `outgoing.py`) and "expires three seconds after it's sent to your app", once exchanged it is spent:
  `invalid_trigger_id` (never issued), `expired_trigger_id`, `exchanged_trigger_id`. The view must be a
  `modal`: a title of at most 24 characters, at most 100 blocks, … (`blockkit.view_problems`), else
  `invalid_arguments` with the reasons in `response_metadata.messages`; larger than 250 kB:
  `view_too_large`; an `external_id` already used on the team: `duplicate_external_id`. Answers the view
  with its `id`, `hash`, `state`, `root_view_id`, `app_id`, `bot_id`. A modal opened while another is open
  replaces it.
- `views.push` (`trigger_id`, `view`): onto the open modal; at most 3 views (`push_limit_reached`).
- `views.update` (`view_id` or `external_id`, `view`, optional `hash`): `not_found` (unknown, or closed),
  `hash_conflict` (a `hash` that is not the view's current one); input values the user had typed are kept
  for inputs whose block_id and action_id are unchanged.
- `views.publish` (`user_id`, `view` of type `home`, optional `hash`): the user's Home tab (one per user,
  keeping its id); an unknown or deactivated user is `invalid_arguments` ("invalid `user_id`", Slack's
  example answer).
"""

from __future__ import annotations

from typing import Any

from simulators.slack.blockkit import view_problems, view_too_large
from simulators.slack.methods import ApiError, Call, invalid_arguments, method
from simulators.slack.model import Json, SlackView, Trigger
from simulators.slack.workspace import SlackWorkspace, initial_state

PUSH_LIMIT = 3


@method("views.open", tier=4)
def views_open(call: Call) -> dict[str, Any]:
    ws = call.workspace
    trigger = _trigger(ws, call)
    definition = _checked_view(call, ("modal",), current=None)
    trigger.used = True
    view = ws.new_view(trigger.user_id, definition)
    ws.open_modal(view)
    return {"view": _shown(ws, view)}


@method("views.push", tier=4)
def views_push(call: Call) -> dict[str, Any]:
    ws = call.workspace
    trigger = _trigger(ws, call)
    stack = ws.open_views(trigger.user_id)
    if not stack:
        raise ApiError("not_found")  # no modal to push onto (the simulator's choice of error)
    if len(stack) >= PUSH_LIMIT:
        raise ApiError("push_limit_reached")
    definition = _checked_view(call, ("modal",), current=None)
    trigger.used = True
    view = ws.new_view(trigger.user_id, definition, root_view_id=stack[0].id, previous=stack[-1].id)
    ws.push_view(view)
    return {"view": _shown(ws, view)}


@method("views.update", tier=4)
def views_update(call: Call) -> dict[str, Any]:
    ws = call.workspace
    view_id, external_id = call.optional("view_id"), call.optional("external_id")
    if view_id is None and external_id is None:
        raise invalid_arguments("missing required field: view_id or external_id")
    view = ws.view(view_id) if view_id is not None else ws.view_by_external_id(external_id or "")
    if view is None or not view.open:
        raise ApiError("not_found")
    _check_hash(call, view)
    definition = _checked_view(call, (view.type,), current=view)
    _replace(ws, view, definition)
    return {"view": _shown(ws, view)}


@method("views.publish", tier=4)
def views_publish(call: Call) -> dict[str, Any]:
    ws = call.workspace
    user_id = call.required("user_id")
    user = ws.user(user_id)
    if user is None or user.deleted or user.is_bot:
        raise ApiError("invalid_arguments", response_metadata={"messages": ["invalid `user_id`"]})
    current = ws.home(user_id)
    if current is not None:
        _check_hash(call, current)
    definition = _checked_view(call, ("home",), current=current)
    if current is None:
        current = ws.new_view(user_id, definition)
    else:
        _replace(ws, current, definition)
    ws.set_home(current)
    return {"view": _shown(ws, current)}


def _trigger(ws: SlackWorkspace, call: Call) -> Trigger:
    """The trigger id presented, if it may still be exchanged (the caller spends it once the view passes)."""
    trigger = ws.trigger(call.required("trigger_id"))
    if trigger is None:
        raise ApiError("invalid_trigger_id")
    if trigger.used:
        raise ApiError("exchanged_trigger_id")
    if ws.trigger_expired(trigger):
        raise ApiError("expired_trigger_id")
    return trigger


def _checked_view(call: Call, kinds: tuple[str, ...], *, current: SlackView | None) -> Json:
    definition = call.json_object("view")
    problems = view_problems(definition, allowed_types=kinds)
    if problems:
        raise invalid_arguments(*problems)
    if view_too_large(definition):
        raise ApiError("view_too_large")
    external_id = definition.get("external_id")
    if external_id:
        holder = call.workspace.view_by_external_id(str(external_id))
        if holder is not None and (current is None or holder.id != current.id):
            raise ApiError("duplicate_external_id")
    return definition


def _check_hash(call: Call, view: SlackView) -> None:
    wanted = call.optional("hash")
    if wanted is not None and wanted != view.hash:
        raise ApiError("hash_conflict")


def _replace(ws: SlackWorkspace, view: SlackView, definition: Json) -> None:
    kept = view.state_values
    view.definition = definition
    view.hash = ws.new_hash()
    view.errors = {}
    state = initial_state(definition)
    for block_id, actions in state.items():
        for action_id in actions:
            if action_id in kept.get(block_id, {}):
                actions[action_id] = kept[block_id][action_id]
    view.state_values = state


def _shown(ws: SlackWorkspace, view: SlackView) -> Json:
    return view.to_api(ws.installed_team_id, ws.app_id, ws.bot_id)
