"""Configuration errors name the key, where the value came from, and what is expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import load_settings, missing_secrets
from reviews.errors import ConfigurationError
from tests.helpers import run_cli


def _file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "recertify.toml"
    path.write_text(body, encoding="utf-8")
    return path


def _problems(path: Path | None, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(path, env or {})
    return caught.value.problems


def test_defaults_match_the_documented_contract() -> None:
    settings = load_settings(None, {}).settings
    assert settings.database.url == "sqlite:///recertify.db"
    assert settings.aws.regions == ["eu-west-2"]
    assert settings.aws.personal_data_tag == "data-classification"
    assert settings.aws.personal_data_values == ["personal", "special-category"]
    assert settings.aws.owner_tag == "data-owner"
    assert settings.entra.graph_url == "https://graph.microsoft.com/v1.0"
    assert settings.slack.api_url == "https://slack.com/api/"
    assert settings.enforcement.mode == "dry-run"  # live revocation needs explicit configuration


def test_an_unknown_key_is_named_with_a_suggestion(tmp_path: Path) -> None:
    path = _file(tmp_path, '[entra]\ntenant = "contoso.onmicrosoft.com"\n')
    assert _problems(path) == [f"entra.tenant (file {path}): unknown key; did you mean entra.tenant_id?"]


def test_an_unknown_section_is_named(tmp_path: Path) -> None:
    path = _file(tmp_path, "[datbase]\nurl = 'sqlite:///x.db'\n")
    assert _problems(path) == [f"datbase (file {path}): unknown key; did you mean database?"]


def test_a_wrong_type_in_the_file_is_named_not_coerced(tmp_path: Path) -> None:
    path = _file(tmp_path, '[aws]\nenabled = "yes"\nregions = "eu-west-2"\n')
    assert _problems(path) == [
        f"aws.enabled (file {path}): expected true or false (got 'yes')",
        f'aws.regions (file {path}): expected a list of strings, e.g. ["a", "b"] (got \'eu-west-2\')',
    ]


def test_a_wrong_value_says_what_is_expected(tmp_path: Path) -> None:
    path = _file(tmp_path, '[enforcement]\nmode = "yolo"\n[aws]\nregions = ["London"]\n')
    problems = _problems(path)
    assert (
        f"aws.regions (file {path}): 'London' is not an AWS region name such as eu-west-2 (got ['London'])"
        in problems
    )
    assert f"enforcement.mode (file {path}): Input should be 'dry-run' or 'live' (got 'yolo')" in problems


def test_environment_overrides_the_file_and_is_named_in_errors(tmp_path: Path) -> None:
    path = _file(tmp_path, '[aws]\nregions = ["eu-west-2"]\nenabled = true\n')
    loaded = load_settings(
        path,
        {
            "RECERTIFY_AWS_REGIONS": '["eu-west-1", "us-east-1"]',
            "RECERTIFY_AWS_ENABLED": "false",
            "RECERTIFY_GRAPH_URL": "http://127.0.0.1:8123/v1.0/",
            "RECERTIFY_SLACK_API_URL": "http://127.0.0.1:8124/api",
        },
    )
    assert loaded.settings.aws.regions == ["eu-west-1", "us-east-1"]
    assert loaded.settings.aws.enabled is False
    assert loaded.settings.entra.graph_url == "http://127.0.0.1:8123/v1.0"
    assert loaded.settings.slack.api_url == "http://127.0.0.1:8124/api/"
    assert loaded.origins["aws.regions"] == "env RECERTIFY_AWS_REGIONS"
    assert loaded.origins["entra.graph_url"] == "env RECERTIFY_GRAPH_URL"
    assert loaded.origins["aws.owner_tag"] == "default"
    assert _problems(path, {"RECERTIFY_AWS_ENABLED": "maybe"}) == [
        "aws.enabled (env RECERTIFY_AWS_ENABLED): expected true or false (got 'maybe')"
    ]
    assert _problems(path, {"RECERTIFY_AWS_REGIONS": "eu-west-1"}) == [
        'RECERTIFY_AWS_REGIONS: expected a JSON array such as ["a", "b"] (got \'eu-west-1\')'
    ]


def test_a_misspelt_environment_variable_is_an_error_not_ignored() -> None:
    assert _problems(None, {"RECERTIFY_AWS_REGION": "eu-west-1"}) == [
        "aws.region (env RECERTIFY_AWS_REGION): unknown key; did you mean aws.regions?"
    ]


def test_secrets_in_the_file_are_refused(tmp_path: Path) -> None:
    path = _file(
        tmp_path, '[slack]\nbot_token = "xoxb-1"\n[database]\nurl = "postgresql://u:pw@db/recertify"\n'
    )
    problems = _problems(path)
    assert any(
        p.startswith(f"slack.bot_token (file {path}): secrets are read from the environment only")
        for p in problems
    )
    assert any(p.startswith(f"database.url (file {path}): holds a password") for p in problems)
    assert not any("xoxb-1" in p or "pw" in p.split("holds")[0] for p in problems)


def test_invalid_toml_names_the_file_and_line(tmp_path: Path) -> None:
    path = _file(tmp_path, "[aws]\nregions = eu-west-2\nenabled = true\n")
    [problem] = _problems(path)
    assert problem.startswith(f"{path}: not valid TOML:") and "line" in problem


def test_a_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    assert _problems(tmp_path / "nope.toml") == [f"{tmp_path / 'nope.toml'}: configuration file not found"]


def test_postgresql_urls_use_the_shipped_driver() -> None:
    loaded = load_settings(None, {"RECERTIFY_DATABASE_URL": "postgresql://postgres@127.0.0.1/recertify"})
    assert loaded.settings.database.url == "postgresql+psycopg://postgres@127.0.0.1/recertify"
    assert _problems(None, {"RECERTIFY_DATABASE_URL": "mysql://x@y/z"})[0].startswith(
        "database.url (env RECERTIFY_DATABASE_URL): expected sqlite:/// or postgresql+psycopg://"
    )


@pytest.mark.parametrize(
    ("url", "used"),
    [
        ("postgresql+psycopg2://db.internal/recertify", "postgresql+psycopg://db.internal/recertify"),
        (
            "postgresql+psycopg://db.internal:5433/recertify?sslmode=verify-full&connect_timeout=5",
            "postgresql+psycopg://db.internal:5433/recertify?connect_timeout=5&sslmode=verify-full",
        ),
        ("sqlite:///data/recertify.db?timeout=30", "sqlite:///data/recertify.db?timeout=30"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_supported_database_urls_are_accepted(url: str, used: str) -> None:
    assert load_settings(None, {"RECERTIFY_DATABASE_URL": url}).settings.database.url == used


BAD_DATABASE_URLS = [
    ("nosuchdb://x", "expected sqlite:/// or postgresql+psycopg://, got the nosuchdb backend"),
    (
        "garbage",
        "expected a database URL such as sqlite:///recertify.db or postgresql+psycopg://HOST/DATABASE",
    ),
    ("", "expected a database URL such as sqlite:///recertify.db or postgresql+psycopg://HOST/DATABASE"),
    (
        "postgres://db.internal/recertify",
        "expected sqlite:/// or postgresql+psycopg://, got the postgres backend (write postgresql+psycopg://)",
    ),
    (
        "postgresql+asyncpg://db/r",
        "the postgresql+asyncpg driver is not supported: use postgresql+psycopg://",
    ),
    ("postgresql+nosuch://db/r", "the postgresql+nosuch driver is not supported: use postgresql+psycopg://"),
    ("sqlite+pysqlcipher:///r.db", "the sqlite+pysqlcipher driver is not supported: use sqlite:///PATH"),
    ("sqlite+aiosqlite:///r.db", "the sqlite+aiosqlite driver is not supported: use sqlite:///PATH"),
    ("postgresql+psycopg://db:99999/r", "the port must be between 1 and 65535, not 99999"),
    ("postgresql+psycopg://db:abc/r", "its host and port cannot be read (the port must be a number)"),
    (
        "postgresql+psycopg://db/r?bogus=1",
        "unknown connection option 'bogus' (libpq's include sslmode and connect_timeout)",
    ),
    (
        "sqlite://localhost/r.db",
        "an SQLite URL names a file, not a server: sqlite:///RELATIVE or sqlite:////ABSOLUTE",
    ),
    (
        "sqlite:///r.db?timeout=soon",
        "a query option cannot be read: could not convert string to float: 'soon'",
    ),
]


@pytest.mark.parametrize(
    ("url", "reason"), BAD_DATABASE_URLS, ids=[u or "empty" for u, _ in BAD_DATABASE_URLS]
)
def test_an_unsupported_or_malformed_database_url_is_named(url: str, reason: str, tmp_path: Path) -> None:
    assert _problems(None, {"RECERTIFY_DATABASE_URL": url}) == [
        f"database.url (env RECERTIFY_DATABASE_URL): {reason} (got {url!r})"
    ]
    path = _file(tmp_path, f"[database]\nurl = {url!r}\n")
    assert _problems(path) == [f"database.url (file {path}): {reason} (got {url!r})"]


@pytest.mark.parametrize(
    "args",
    [
        ("db", "upgrade"),
        ("audit", "verify"),
        ("cycles", "list"),
        ("sync",),
        ("serve",),
        ("serve", "--http", "0"),
    ],
)
@pytest.mark.parametrize("url", ["nosuchdb://x", "postgresql+asyncpg://db/r", "sqlite:///r.db?timeout=soon"])
def test_a_bad_database_url_stops_every_command_with_one_line_and_exit_2(
    url: str, args: tuple[str, ...], capsys, monkeypatch
) -> None:
    result = run_cli(capsys, monkeypatch, *args, env={"RECERTIFY_DATABASE_URL": url})
    assert result.code == 2
    assert result.stderr.startswith(
        "error: invalid configuration: database.url (env RECERTIFY_DATABASE_URL): "
    )
    assert result.stderr.endswith(f" (got {url!r})\n") and result.stderr.count("\n") == 1
    assert result.stdout == ""
    assert not Path("r.db").exists()  # nothing was created on the way


def test_a_password_in_a_bad_database_url_is_not_echoed() -> None:
    [problem] = _problems(None, {"RECERTIFY_DATABASE_URL": "postgresql+psycopg://app:hun@ter2@db:port/r"})
    assert "hun" not in problem and "ter2" not in problem
    assert problem.endswith("(got 'postgresql+psycopg://app:***@db:port/r')")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "entra is enabled but has no credential"),
        (
            {
                "RECERTIFY_ENTRA_TENANT_ID": "contoso.onmicrosoft.com",
                "RECERTIFY_ENTRA_CLIENT_ID": "00000000-0000-0000-0000-000000000001",
            },
            "entra is enabled but AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH) is not set",
        ),
    ],
)
def test_a_missing_secret_for_an_enabled_source_is_named(env: dict[str, str], expected: str) -> None:
    problems = missing_secrets(load_settings(None, {**env, "RECERTIFY_SLACK_ENABLED": "false"}))
    assert len(problems) == 1 and problems[0].startswith(expected)


def test_disabled_sources_need_no_secrets() -> None:
    env = {"RECERTIFY_ENTRA_ENABLED": "false", "RECERTIFY_SLACK_ENABLED": "false"}
    assert missing_secrets(load_settings(None, env)) == []


def test_config_check_prints_the_effective_configuration_with_secrets_masked(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    path = _file(tmp_path, '[aws]\nregions = ["eu-west-1"]\n')
    env = {
        "SLACK_BOT_TOKEN": "xoxb-very-secret",
        "SLACK_SIGNING_SECRET": "s1gn1ng",
        "RECERTIFY_GRAPH_TOKEN": "eyJ.tok",
        "RECERTIFY_DATABASE_URL": "postgresql+psycopg://app:hunter2@db.internal/recertify",
    }
    result = run_cli(capsys, monkeypatch, "--config", str(path), "config", "check", env=env)
    assert result.code == 0, result.stderr
    assert "configuration is valid" in result.stdout
    assert "eu-west-1" in result.stdout and f"file {path}" in result.stdout
    assert "SLACK_BOT_TOKEN" in result.stdout and "set (hidden)" in result.stdout
    for secret in ("xoxb-very-secret", "s1gn1ng", "eyJ.tok", "hunter2"):
        assert secret not in result.stdout + result.stderr


def test_config_check_fails_naming_the_missing_secret(capsys, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "RECERTIFY_GRAPH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    result = run_cli(capsys, monkeypatch, "config", "check", env={"RECERTIFY_ENTRA_ENABLED": "false"})
    assert result.code == 2
    assert "slack is enabled but SLACK_BOT_TOKEN is not set in the environment" in result.stderr


def test_an_invalid_configuration_stops_every_command_with_exit_2(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    path = _file(tmp_path, "[enforcement]\nmode = 'live!'\n")
    result = run_cli(capsys, monkeypatch, "--config", str(path), "audit", "verify")
    assert result.code == 2
    assert f"enforcement.mode (file {path})" in result.stderr


def test_a_secret_named_like_a_key_in_the_process_environment_is_no_key(monkeypatch) -> None:
    """RECERTIFY_AZURE_TOKEN is Azure's secret, not a key `azure.token`: loading from the process's own
    environment (as every command does) must not read it as one (pydantic-settings would, left alone)."""
    monkeypatch.setenv("RECERTIFY_AZURE_TOKEN", "arm-token")
    monkeypatch.setenv("RECERTIFY_AZURE_ENABLED", "true")
    loaded = load_settings(None)
    assert loaded.settings.azure.enabled is True
    assert (
        loaded.secrets.azure_token is not None
        and loaded.secrets.azure_token.get_secret_value() == "arm-token"
    )


def test_the_readme_configuration_block_loads(tmp_path) -> None:
    """README's Configuration section is the file people copy: every key in it must be one Recertify knows."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Configuration") :]
    block = section[section.index("```toml\n") + len("```toml\n") :]
    path = tmp_path / "recertify.toml"
    path.write_text(block[: block.index("```")], encoding="utf-8")
    loaded = load_settings(path, {})
    assert loaded.settings.azure.pim_eligible is True and loaded.settings.aws.enabled is True
