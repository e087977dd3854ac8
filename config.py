"""Configuration: `recertify.toml`, every key overridable by the environment, secrets only from it.

Each adapter owns its section and its secrets, which it says it lacks when enabled without them
(connectors/aws/settings.py, connectors/entra/settings.py, connectors/azure/settings.py, bot/settings.py; AWS
has none: the standard chain),
the domain its enforcement section (reviews/enforcement/settings.py), and config_sections.py the rest; this
module composes them into `Settings` and `Secrets` and loads them.

The environment rule is pydantic-settings' own (`env_nested_max_split=1`): `RECERTIFY_<SECTION>_<KEY>`,
e.g. `RECERTIFY_DATABASE_URL` or `RECERTIFY_AWS_REGIONS='["eu-west-1"]'`, parsed by its env source. The
file is read with tomllib. We validate the two layers ourselves, in order, because a user needs every
problem to name the key, where its value came from (file or variable) and what is expected. Only the entry
points call `load_settings` (app.py's `Context`, and the demo, which configures the simulators through its
own environment mapping); everything else receives the typed sections it needs.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.settings import SlackSecrets, SlackSettings
from config_sections import AttestSettings, AuditSettings, DatabaseSettings, ServeSettings
from connectors.aws.settings import AwsSettings
from connectors.azure.settings import AzureSecrets, AzureSettings
from connectors.entra.settings import EntraSettings
from reviews.enforcement.settings import EnforcementSettings
from reviews.entitlements import ENTRA_CLASSIFICATION, System
from reviews.errors import ConfigurationError

ENV_PREFIX = "RECERTIFY_"
ALIASES = {"RECERTIFY_GRAPH_URL": ("entra", "graph_url")}  # DESIGN §4 names it so

_SECRET_WORDS = ("secret", "token", "password", "private_key")
# scheme://user:PASSWORD@host, even in a URL too malformed to parse; to the last @, which may be unescaped.
_PASSWORD_IN_URL = re.compile(r"(://[^:/@\s]*:).*@")
_FRIENDLY = {
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "string_type": "expected a string",
    "list_type": 'expected a list of strings, e.g. ["a", "b"]',
    "too_short": "expected at least one value",
    "model_type": "expected a table of keys ([section])",
    "dict_type": "expected a table of keys ([section])",
}


class Secrets(AzureSecrets, SlackSecrets):
    """Every adapter's secrets: read from the environment only, under their conventional names, and never
    printed. Slack's first, then Entra's, then Azure's (AzureSecrets extends EntraSecrets: the same app
    registration; pydantic collects the fields of the last base first), so that `recertify config check`
    lists them in the order it always has, Azure's token last."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="forbid",
        frozen=True,
        case_sensitive=False,
    )

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    aws: AwsSettings = Field(default_factory=AwsSettings)
    entra: EntraSettings = Field(default_factory=EntraSettings)
    azure: AzureSettings = Field(default_factory=AzureSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    enforcement: EnforcementSettings = Field(default_factory=EnforcementSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    attest: AttestSettings = Field(default_factory=AttestSettings)
    serve: ServeSettings = Field(default_factory=ServeSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only what load_settings hands over: it reads the environment itself (_env_values), leaving out
        the secrets, so that RECERTIFY_AZURE_TOKEN is never taken for a key `azure.token`. Left to
        pydantic-settings, even model_validate would read os.environ behind our back."""
        return (init_settings,)

    def classifications(self) -> tuple[str, ...]:
        """Every classification a store can have: the AWS and Azure tags' values, and Entra's one."""
        return tuple(
            dict.fromkeys(
                [*self.aws.personal_data_values, *self.azure.personal_data_values, ENTRA_CLASSIFICATION]
            )
        )

    def enabled_systems(self) -> tuple[str, ...]:
        return tuple(system.value for system in System if getattr(self, system.value).enabled)


class LoadedConfig(BaseModel):
    """The effective configuration, the file it came from, and where each key's value came from."""

    model_config = ConfigDict(frozen=True)

    settings: Settings
    secrets: Secrets
    path: Path | None
    origins: dict[str, str]


def config_path(explicit: Path | None, environ: Mapping[str, str]) -> Path | None:
    """--config, else RECERTIFY_CONFIG, else ./recertify.toml when it exists, else defaults only."""
    if explicit is not None:
        return explicit
    if environ.get("RECERTIFY_CONFIG"):
        return Path(environ["RECERTIFY_CONFIG"])
    default = Path("recertify.toml")
    return default if default.exists() else None


def load_settings(path: Path | None, environ: Mapping[str, str] | None = None) -> LoadedConfig:
    environ = os.environ if environ is None else environ
    file_values = _read_file(path) if path is not None else {}
    env_values = _env_values(environ)
    origins = _origins(file_values, env_values, path)
    problems = _secrets_in_file(file_values, path)
    if problems:
        raise ConfigurationError(problems)
    # The file strictly (TOML has real types: `enabled = "yes"` is a mistake to name, not a value to guess),
    # then with the environment's strings on top, leniently ("false", '["a", "b"]').
    problems = _strict_file_problems(file_values, origins)
    if problems:
        raise ConfigurationError(problems)
    try:
        settings = Settings.model_validate(_deep_merge(file_values, env_values))
    except ValidationError as exc:
        raise ConfigurationError([_explain(error, origins) for error in exc.errors()]) from None
    secrets = Secrets.model_validate(dict(environ))
    return LoadedConfig(settings=settings, secrets=secrets, path=path, origins=origins)


def _strict_file_problems(file_values: dict[str, Any], origins: dict[str, str]) -> list[str]:
    # Section by section: pydantic does not carry strict=True into the nested models of a BaseSettings.
    problems = []
    sections = _sections()
    for name, body in file_values.items():
        try:
            if name not in sections:
                Settings.model_validate({name: body})  # raises extra_forbidden naming it
            else:
                sections[name].model_validate(body, strict=True)
        except ValidationError as exc:
            for error in exc.errors():
                loc = error["loc"] if name not in sections else (name, *error["loc"])
                problems.append(_explain({**error, "loc": loc}, origins))
    return problems


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigurationError([f"{path}: configuration file not found"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError([f"{path}: not valid TOML: {exc}"]) from None
    except OSError as exc:
        raise ConfigurationError([f"{path}: cannot be read: {exc.strerror}"]) from None


def _env_values(environ: Mapping[str, str]) -> dict[str, Any]:
    """The nested values pydantic-settings' env source finds in `environ` (not necessarily os.environ)."""
    # A secret named like a key (RECERTIFY_AZURE_TOKEN) is the Secrets' alone, never a section's key.
    secret_names = {field.alias for field in Secrets.model_fields.values() if field.alias}
    env = {
        k: v for k, v in environ.items() if k.upper().startswith(ENV_PREFIX) and k.upper() not in secret_names
    }
    for alias, (section, key) in ALIASES.items():
        if alias in env:
            env[f"{ENV_PREFIX}{section}_{key}".upper()] = env.pop(alias)
    bad_json = [
        f'{name}: expected a JSON array such as ["a", "b"] (got {value!r})'
        for name, value in env.items()
        if _is_list_key(name) and not _is_json_array(value)
    ]
    if bad_json:
        raise ConfigurationError(bad_json)
    source = EnvSettingsSource(Settings)
    source.env_vars = {k.lower(): v for k, v in env.items()}
    return source()


def _is_list_key(env_name: str) -> bool:
    section, _, key = env_name[len(ENV_PREFIX) :].lower().partition("_")
    model = _sections().get(section)
    field = model.model_fields.get(key) if model else None
    return field is not None and getattr(field.annotation, "__origin__", None) is list


def _is_json_array(value: str) -> bool:
    try:
        return isinstance(json.loads(value), list)
    except ValueError:
        return False


def env_var_name(section: str, key: str) -> str:
    for alias, target in ALIASES.items():
        if target == (section, key):
            return alias
    return f"{ENV_PREFIX}{section}_{key}".upper()


def _origins(file_values: dict[str, Any], env_values: dict[str, Any], path: Path | None) -> dict[str, str]:
    origins: dict[str, str] = {}
    for section, model in _sections().items():
        for key in model.model_fields:
            if key in env_values.get(section, {}):
                origins[f"{section}.{key}"] = f"env {env_var_name(section, key)}"
            elif key in file_values.get(section, {}):
                origins[f"{section}.{key}"] = f"file {path}"
            else:
                origins[f"{section}.{key}"] = "default"
    # Unknown keys too, so that the error about them can say where they were found.
    for source, label in ((env_values, "env"), (file_values, "file")):
        for section, values in source.items():
            for key in values if isinstance(values, dict) else ():
                where = f"env {ENV_PREFIX}{section}_{key}".upper() if label == "env" else f"file {path}"
                origins.setdefault(f"{section}.{key}", where.replace("ENV ", "env "))
            origins.setdefault(section, f"file {path}" if section in file_values else "env")
    return origins


def _sections() -> dict[str, type[BaseModel]]:
    sections: dict[str, type[BaseModel]] = {}
    for name, field in Settings.model_fields.items():
        assert isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)  # noqa: S101
        sections[name] = field.annotation
    return sections


def _explain(error: Any, origins: dict[str, str]) -> str:
    loc = ".".join(str(part) for part in error["loc"])
    dotted = ".".join(str(part) for part in error["loc"][:2])
    where = origins.get(dotted, "file")
    if error["type"] == "extra_forbidden":
        known = [f"{s}.{k}" for s, m in _sections().items() for k in m.model_fields] + list(_sections())
        hint = difflib.get_close_matches(loc, known, n=1)
        suggestion = f"; did you mean {hint[0]}?" if hint else ""
        return f"{loc} ({where}): unknown key{suggestion}"
    message = _FRIENDLY.get(error["type"], error["msg"].removeprefix("Value error, "))
    value = error["input"]
    if loc == "database.url" and isinstance(value, str):
        value = _PASSWORD_IN_URL.sub(r"\1***@", value)  # from the environment, which may hold one
    return f"{loc} ({where}): {message} (got {value!r})"


def _secrets_in_file(values: dict[str, Any], path: Path | None) -> list[str]:
    problems = []
    for section, body in values.items():
        for key in body if isinstance(body, dict) else ():
            if any(word in key.lower() for word in _SECRET_WORDS):
                problems.append(
                    f"{section}.{key} (file {path}): secrets are read from the environment only; "
                    "remove it from the file (see `recertify config check` for the variable names)"
                )
    url = values.get("database", {}).get("url") if isinstance(values.get("database"), dict) else None
    if isinstance(url, str):
        try:
            has_password = make_url(url).password is not None
        except (ArgumentError, ValueError):  # ValueError: a port that is not a number
            has_password = False  # validation reports the malformed URL itself
        if has_password:
            problems.append(
                f"database.url (file {path}): holds a password; put the URL in RECERTIFY_DATABASE_URL "
                "instead, or use a password file (~/.pgpass)"
            )
    return problems


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def missing_secrets(config: LoadedConfig) -> list[str]:
    """What the enabled sources need from the environment and do not have, as sentences (each adapter says
    what it lacks)."""
    settings, secrets = config.settings, config.secrets
    return [
        *secrets.missing_for_entra(settings.entra),
        *secrets.missing_for_azure(settings.azure, settings.entra),
        *secrets.missing_for_slack(settings.slack),
    ]
