"""Configuration: `recertify.toml`, every key overridable by the environment, secrets only from it.

The environment rule is pydantic-settings' own (`env_nested_max_split=1`): `RECERTIFY_<SECTION>_<KEY>`,
e.g. `RECERTIFY_DATABASE_URL` or `RECERTIFY_AWS_REGIONS='["eu-west-1"]'`, parsed by its env source. The
file is read with tomllib. We validate the two layers ourselves, in order, because a user needs every
problem to name the key, where its value came from (file or variable) and what is expected. app.py is the
only caller of `load_settings`; everything else receives the typed sections it needs.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    SettingsConfigDict,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from reviews.database_url import supported_url
from reviews.entitlements import ENTRA_CLASSIFICATION, System
from reviews.errors import ConfigurationError

ENV_PREFIX = "RECERTIFY_"
ALIASES = {"RECERTIFY_GRAPH_URL": ("entra", "graph_url")}  # DESIGN §4 names it so

_AWS_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_ACCOUNT = re.compile(r"^\d{12}$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_DOMAIN = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$")
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


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _url(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+", value):
        raise ValueError("expected an http:// or https:// URL")
    return value


def _each(values: list[str], pattern: re.Pattern[str] | tuple[re.Pattern[str], ...], what: str) -> list[str]:
    patterns = pattern if isinstance(pattern, tuple) else (pattern,)
    for value in values:
        if not any(p.match(value) for p in patterns):
            raise ValueError(f"{value!r} is not {what}")
    return values


class DatabaseSettings(_Section):
    url: str = "sqlite:///recertify.db"

    @field_validator("url")
    @classmethod
    def _supported(cls, value: str) -> str:
        return supported_url(value)  # a configuration error now, not the driver's traceback at connection


class AwsSettings(_Section):
    enabled: bool = True
    regions: list[str] = Field(default_factory=lambda: ["eu-west-2"], min_length=1)
    personal_data_tag: str = Field(default="data-classification", min_length=1)
    personal_data_values: list[str] = Field(
        default_factory=lambda: ["personal", "special-category"], min_length=1
    )
    owner_tag: str = Field(default="data-owner", min_length=1)
    # Accounts to read. Empty: the account of the credentials only, unless use_organizations lists them.
    accounts: list[str] = Field(default_factory=list)
    use_organizations: bool = False
    read_role: str = Field(default="RecertifyRead", min_length=1)  # assumed in every other account
    write_role: str = Field(default="RecertifyWrite", min_length=1)  # assumed to revoke, in live mode only
    identity_center: bool = True  # read IAM Identity Center when the credentials can
    identity_center_region: str = ""  # where the Identity Center instance lives; "" = the first region
    # IAM service-last-accessed costs one asynchronous job per principal holding a grant. Off: last use of
    # grants is recorded as unknown (never as inactive).
    last_accessed: bool = True
    last_accessed_timeout_seconds: int = Field(default=300, ge=10)

    @field_validator("accounts")
    @classmethod
    def _accounts(cls, value: list[str]) -> list[str]:
        return _each(value, _ACCOUNT, "a 12-digit AWS account id")

    @field_validator("identity_center_region")
    @classmethod
    def _ic_region(cls, value: str) -> str:
        if value and not _AWS_REGION.match(value):
            raise ValueError("expected an AWS region name such as eu-west-2")
        return value

    @field_validator("regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        return _each(value, _AWS_REGION, "an AWS region name such as eu-west-2")


class EntraSettings(_Section):
    enabled: bool = True
    tenant_id: str = ""
    client_id: str = ""
    graph_url: str = "https://graph.microsoft.com/v1.0"
    personal_data_groups: list[str] = Field(default_factory=list)
    personal_data_apps: list[str] = Field(default_factory=list)
    # The level group members and app assignees hold (owners always hold admin); DESIGN §4 says read.
    member_access: Literal["read", "write", "admin"] = "read"
    # Sign-in activity has no delta query; it is reread when older than this (0: every sync).
    sign_in_refresh_hours: int = Field(default=24, ge=0, le=168)
    # PIM for Groups eligibility of personal-data groups (needs Entra ID P2 or ID Governance): false turns
    # the read off, for a tenant without that licence; every sync's notes then say it was not read.
    pim_for_groups: bool = True
    # How hard the Graph client may push (connectors/entra/graph): Graph's identity budget per app and
    # tenant is 3,500 / 5,000 / 8,000 resource units per 10 s by tenant size; the default is the smallest.
    resource_unit_budget: int = Field(default=3500, ge=10, le=150_000)
    max_concurrency: int = Field(default=4, ge=1, le=32)  # $batch calls in flight; halves under pressure
    request_timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    max_attempts: int = Field(default=8, ge=1, le=20)  # per request or $batch item, then the sync fails
    # Retry-After is always honoured; a longer wait than this fails the sync (retryable) instead of hanging.
    max_retry_wait_seconds: float = Field(default=600.0, ge=0, le=3600)

    @field_validator("tenant_id")
    @classmethod
    def _tenant(cls, value: str) -> str:
        if value and not (_GUID.match(value) or _DOMAIN.match(value)):
            raise ValueError("expected the tenant's GUID or its domain (contoso.onmicrosoft.com)")
        return value

    @field_validator("client_id")
    @classmethod
    def _client(cls, value: str) -> str:
        if value and not _GUID.match(value):
            raise ValueError("expected the app registration's application (client) id, a GUID")
        return value

    @field_validator("graph_url")
    @classmethod
    def _graph(cls, value: str) -> str:
        return _url(value).rstrip("/")


class SlackSettings(_Section):
    enabled: bool = True
    api_url: str = "https://slack.com/api/"
    admins: list[str] = Field(default_factory=list)
    auditors: list[str] = Field(default_factory=list)
    # People are linked to Slack accounts by email after each sync; answers are cached this long, and at
    # most this many lookups are made per sync (users.lookupByEmail allows about 50 a minute).
    people_refresh_days: int = Field(default=7, ge=1, le=365)
    lookups_per_sync: int = Field(default=500, ge=1, le=100_000)
    # The workspace and app this bot serves: a request naming another team or app is refused. "" = not
    # checked (a single-workspace app cannot receive another team's requests, but say which to be sure).
    team_id: str = ""
    app_id: str = ""
    # The Enterprise Grid organization (E…) the app is installed on org-wide: a request from any of its
    # workspaces is served, one naming another organization (or none) is refused. With `team_id` as well,
    # only that workspace of the organization is served.
    enterprise_id: str = ""
    # Slack user groups whose members are admins / auditors too (ids such as S0123ABCD), checked live
    # (cached for a few minutes), so leaving the group takes the role away.
    admin_groups: list[str] = Field(default_factory=list)
    auditor_groups: list[str] = Field(default_factory=list)
    # Tell a person in a DM when Recertify removed their access, why and by whom (live, verified
    # revocations of the last week). Off by default: some departments tell people through their manager.
    notify_revoked: bool = False
    # Where alerts for admins go (a channel id such as C0123ABCD): a revocation that did not remove the access
    # (it survived through another path). "" = admins are told by DM instead (the `admins` linked to Slack).
    admin_channel: str = ""

    @field_validator("admin_channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        if value and not re.match(r"^[CG][A-Z0-9]{2,}$", value):
            raise ValueError("expected a Slack channel id such as C0123ABCD")
        return value

    @field_validator("admin_groups", "auditor_groups")
    @classmethod
    def _groups(cls, value: list[str]) -> list[str]:
        return _each(value, re.compile(r"^S[A-Z0-9]{2,}$"), "a Slack user group id such as S0123ABCD")

    @field_validator("team_id")
    @classmethod
    def _team(cls, value: str) -> str:
        if value.startswith("E"):
            raise ValueError("E… is an Enterprise Grid organization: set it as [slack] enterprise_id")
        if value and not re.match(r"^T[A-Z0-9]{2,}$", value):
            raise ValueError("expected a Slack team id such as T0123ABCD")
        return value

    @field_validator("enterprise_id")
    @classmethod
    def _enterprise(cls, value: str) -> str:
        if value and not re.match(r"^E[A-Z0-9]{2,}$", value):
            raise ValueError("expected a Slack Enterprise Grid organization id such as E0123ABCD")
        return value

    @field_validator("app_id")
    @classmethod
    def _app(cls, value: str) -> str:
        if value and not re.match(r"^A[A-Z0-9]{2,}$", value):
            raise ValueError("expected a Slack app id such as A0123ABCD")
        return value

    @field_validator("api_url")
    @classmethod
    def _api(cls, value: str) -> str:
        return _url(value).rstrip("/") + "/"  # slack_sdk joins method names onto it

    @field_validator("admins", "auditors")
    @classmethod
    def _people(cls, value: list[str]) -> list[str]:
        return _each(value, (_EMAIL, _SLACK_USER), "an email or a Slack user id (U…/W…)")


class EnforcementSettings(_Section):
    mode: Literal["dry-run", "live"] = "dry-run"
    protected: list[str] = Field(default_factory=list)
    # Principals whose name matches one of these shell patterns are protected too (break-glass accounts).
    protected_names: list[str] = Field(default_factory=lambda: ["break-glass*", "breakglass*"])
    # Blast radius, per store per run: more automatic revocations than `blast_radius_count`, or more than
    # `blast_radius_share` of the store's grants (when at least 3), are held for an admin's approval.
    blast_radius_count: int = Field(default=10, ge=1)
    blast_radius_share: float = Field(default=0.25, gt=0, le=1)
    # Population sanity: a sync whose grant count fell by more than this share (or to zero) is not applied.
    max_population_drop: float = Field(default=0.3, gt=0, le=1)
    # The outbox: attempts before a revocation is dead-lettered (failed_permanent), backoff between them,
    # and how long a claimed revocation may stay claimed before another worker may take it over.
    max_attempts: int = Field(default=5, ge=1, le=50)
    retry_base_seconds: float = Field(default=30.0, gt=0)
    retry_max_seconds: float = Field(default=3600.0, gt=0)
    claim_timeout_seconds: float = Field(default=600.0, gt=0)

    @field_validator("protected")
    @classmethod
    def _protected(cls, value: list[str]) -> list[str]:
        return _each(value, (_ARN, _GUID, _EMAIL), "an ARN, an Entra object id or an email")


class AuditSettings(_Section):
    """The audit chain's retention and its checkpoints (reviews.retention, reviews.checkpoints).

    `retention_months` (default 24, at least 1): `recertify audit purge` removes only events older than this,
    never on its own. `checkpoint_bucket`: an S3 bucket created with Object Lock enabled; when set, every
    checkpoint is also written there in COMPLIANCE mode, retained `checkpoint_retention_days` (default
    2555, about seven years), and `audit verify` compares the chain with those write-once copies. "" keeps
    checkpoints in the database only. The scheduler records one every `checkpoint_every_minutes`.
    """

    retention_months: int = 24
    checkpoint_bucket: str = ""
    checkpoint_prefix: str = "recertify/"  # the folder of the bucket the checkpoints go to
    checkpoint_retention_days: int = Field(default=2555, ge=1, le=36_500)
    checkpoint_every_minutes: int = Field(default=60, ge=1, le=1440)

    @field_validator("retention_months")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value < 1:
            raise ValueError("expected a number of months, at least 1 (the default, 24, keeps two years)")
        if value > 1200:
            raise ValueError("expected a number of months, at most 1200")
        return value

    @field_validator("checkpoint_bucket")
    @classmethod
    def _bucket(cls, value: str) -> str:
        if value and not re.match(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", value):
            raise ValueError("expected an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)")
        return value

    @field_validator("checkpoint_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if value.startswith("/") or (value and not value.endswith("/")):
            raise ValueError('expected a folder such as "recertify/" (no leading slash, a trailing one)')
        return value


class AttestSettings(_Section):
    """How attestations are signed (reviews.attestation, `recertify attest`): `key_file`, an Ed25519 private
    key in PEM (`recertify attest keygen` writes one; env RECERTIFY_ATTEST_KEY_FILE), or `kms_key_id`, an
    AWS KMS asymmetric key of spec ECC_NIST_P256 for SIGN_VERIFY (its id, ARN or alias). One of the two."""

    key_file: str = ""
    kms_key_id: str = ""

    @model_validator(mode="after")
    def _one_key(self) -> AttestSettings:
        if self.key_file and self.kms_key_id:
            raise ValueError("set key_file or kms_key_id, not both: an attestation is signed with one key")
        return self


class ServeSettings(_Section):
    """`recertify serve`: it runs `recertify doctor`'s live checks at start and answers /healthz 503 while
    one fails. `allow_degraded_start`: answer 200 anyway, naming the failing checks as `degraded` (and
    logging a WARNING); for a source that is known to be down while the rest must run. The failing checks
    are run again every `recheck_minutes`, so a fixed credential turns healthy without a restart."""

    allow_degraded_start: bool = False
    recheck_minutes: int = Field(default=5, ge=1, le=1440)


class Secrets(BaseSettings):
    """Read from the environment only, under their conventional names, and never printed."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=True)

    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    graph_token: SecretStr | None = Field(default=None, alias="RECERTIFY_GRAPH_TOKEN")
    azure_client_secret: SecretStr | None = Field(default=None, alias="AZURE_CLIENT_SECRET")
    azure_client_certificate_path: str | None = Field(default=None, alias="AZURE_CLIENT_CERTIFICATE_PATH")


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
    slack: SlackSettings = Field(default_factory=SlackSettings)
    enforcement: EnforcementSettings = Field(default_factory=EnforcementSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    attest: AttestSettings = Field(default_factory=AttestSettings)
    serve: ServeSettings = Field(default_factory=ServeSettings)

    def classifications(self) -> tuple[str, ...]:
        """Every classification a store can have: the AWS tag's values, and Entra's one."""
        return tuple(dict.fromkeys([*self.aws.personal_data_values, ENTRA_CLASSIFICATION]))

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
        # model_validate, unlike BaseSettings(), reads no source behind our back.
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
    env = {k: v for k, v in environ.items() if k.upper().startswith(ENV_PREFIX)}
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
    """What the enabled sources need from the environment and do not have, as sentences."""
    settings, secrets = config.settings, config.secrets
    problems = []
    entra = settings.entra
    if entra.enabled and secrets.graph_token is None:
        if not (entra.tenant_id and entra.client_id):
            problems.append(
                "entra is enabled but has no credential: set entra.tenant_id and entra.client_id with "
                "AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH, or RECERTIFY_GRAPH_TOKEN"
            )
        elif secrets.azure_client_secret is None and secrets.azure_client_certificate_path is None:
            problems.append(
                "entra is enabled but AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH) is not set "
                "in the environment"
            )
    if settings.slack.enabled:
        if secrets.slack_bot_token is None:
            problems.append("slack is enabled but SLACK_BOT_TOKEN is not set in the environment")
        if secrets.slack_app_token is None and secrets.slack_signing_secret is None:
            problems.append(
                "slack is enabled but neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET "
                "(HTTP mode) is set in the environment"
            )
    return problems
