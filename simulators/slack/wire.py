"""Reading a Web API request as Slack does: the method from `/api/<method>`, arguments from the query
string and from a form-encoded or JSON body, and the token.

The token is read from `Authorization: Bearer …` or, failing that, a `token` field of a form-encoded
body. A `token` in the query string or in a JSON body is dropped and not used: Slack refuses query-string
tokens for apps created since 2021 and reads JSON bodies' tokens only from the header. Values are strings
for the query and forms (the first of repeated fields), any JSON type for JSON bodies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, urlsplit

API_PREFIX = "/api/"


@dataclass
class Incoming:
    method: str  # "users.info"; for a path outside /api/, the path itself (answered unknown_method)
    args: dict[str, Any]
    token: str | None
    problem: str | None = None  # a body Slack cannot read: invalid_json, json_not_object, …


def parse(target: str, headers: Message, body: bytes) -> Incoming:
    split = urlsplit(target)
    method = split.path.removeprefix(API_PREFIX) if split.path.startswith(API_PREFIX) else split.path
    args: dict[str, Any] = _first(parse_qs(split.query, keep_blank_values=True))
    args.pop("token", None)
    form_token: str | None = None
    problem: str | None = None
    if body:
        kind = headers.get_content_type()
        if kind == "application/json":
            try:
                data = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                problem = "invalid_json"
            else:
                if isinstance(data, dict):
                    data.pop("token", None)
                    args.update(data)
                else:
                    problem = "json_not_object"
        elif kind == "application/x-www-form-urlencoded":
            try:
                form = _first(parse_qs(body.decode("utf-8"), keep_blank_values=True))
            except UnicodeDecodeError:
                problem = "invalid_form_data"
            else:
                form_token = form.pop("token", None)
                args.update(form)
        else:  # multipart (file uploads) is not simulated yet
            problem = "invalid_post_type"
    return Incoming(method, args, _bearer(headers.get("Authorization")) or form_token, problem)


def _bearer(value: str | None) -> str | None:
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else value.strip()


def _first(values: dict[str, list[str]]) -> dict[str, Any]:
    return {name: found[0] for name, found in values.items()}
