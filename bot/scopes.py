"""The Slack Web API methods the bot calls, and the bot-token scope each needs (docs.slack.dev/reference).
The app manifest (`bot/manifest.yaml`) and the README list exactly these; a test keeps the three in step."""

METHOD_SCOPES: dict[str, str | None] = {
    "chat.postMessage": "chat:write",  # digests and private answers as DMs (the channel is the user id)
    "chat.update": "chat:write",  # a digest redrawn after each decision
    "chat.postEphemeral": "chat:write",  # "not recorded: …" to the person who clicked
    "views.open": None,  # the justification modal (a trigger id is the permission)
    "views.publish": None,  # the App Home
    "users.info": "users:read",  # who a clicking Slack account is (its immutable id → its email)
    "users.lookupByEmail": "users:read.email",  # people linked to Slack accounts after each sync
    "usergroups.users.list": "usergroups:read",  # admins and auditors by Slack user group
}
# Not a method: the slash command needs its own scope.
EXTRA_SCOPES = ("commands",)
BOT_EVENTS = ("app_home_opened",)


def required_scopes() -> set[str]:
    return {scope for scope in METHOD_SCOPES.values() if scope} | set(EXTRA_SCOPES)
