"""The Dockerfile's essentials, checked statically (Docker is not needed to run the suite): a slim Python
3.11 base, the project itself installed without its dev extras, from every package it is made of, run as a
non-root user, `recertify serve --http 8080` by default, a health check that needs no curl, and nothing
secret baked in or sent in the build context."""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text()
    logical, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    result = []
    for line in logical:
        keyword, _, arguments = line.strip().partition(" ")
        result.append((keyword.upper(), arguments.strip()))
    return result


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for keyword, arguments in instructions():
        if keyword == "FROM":
            found.append([])
        assert found, "the Dockerfile must start with FROM"
        found[-1].append((keyword, arguments))
    return found


def final(keyword: str) -> list[str]:
    return [arguments for k, arguments in stages()[-1] if k == keyword]


def test_every_stage_is_a_slim_python_3_11() -> None:
    for stage in stages():
        assert re.match(r"^python:3\.11(\.\d+)?-slim(-\w+)?( AS \w+)?$", stage[0][1]), stage[0][1]


def test_the_image_runs_as_a_non_root_user() -> None:
    users = final("USER")
    assert users, "the final stage must name a USER"
    user, _, group = users[-1].partition(":")
    assert user not in {"root", "0"} and group not in {"root", "0"}
    created = " ".join(final("RUN"))
    assert re.search(rf"useradd .*--uid {user}\b", created) or re.search(rf"useradd .*\b{user}$", created)
    keywords = [keyword for keyword, _ in stages()[-1]]
    assert keywords.index("USER") < keywords.index("ENTRYPOINT")  # serve never starts as root


def test_the_entrypoint_is_recertify_serving_http_on_8080() -> None:
    (entrypoint,) = final("ENTRYPOINT")
    (cmd,) = final("CMD")
    assert json.loads(entrypoint) == ["recertify"]
    assert json.loads(cmd) == ["serve", "--http", "8080", "--host", "0.0.0.0"]  # noqa: S104  (in a container)
    assert final("EXPOSE") == ["8080"]


def test_the_health_check_probes_healthz_with_the_standard_library() -> None:
    (check,) = final("HEALTHCHECK")
    options, _, command = check.partition("CMD ")
    assert "--interval=" in options and "--timeout=" in options
    argv = json.loads(command)
    assert argv[:2] == ["python", "-c"]
    assert "urllib.request" in argv[2] and "http://127.0.0.1:8080/healthz" in argv[2]
    assert not any(tool in check for tool in ("curl", "wget"))


def test_the_installed_package_is_this_project_without_dev_extras() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["name"] == "recertify"
    build = stages()[0]
    installs = [arguments for keyword, arguments in build if keyword == "RUN" and "pip install" in arguments]
    assert installs and re.search(r"pip install (--no-cache-dir )?\.( |$)", installs[0]), installs
    assert "[dev]" not in "".join(installs) and "-e " not in "".join(installs)
    copied = {
        source
        for keyword, arguments in build
        if keyword == "COPY"
        for source in arguments.split()[:-1]
        if not source.startswith("--")
    }
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    modules = {f"{m}.py" for m in project["tool"]["setuptools"]["py-modules"]}
    needed = packages | modules | {"pyproject.toml", project["project"]["readme"]}
    assert needed <= copied, f"the build misses {needed - copied}"
    for source in copied:
        assert (ROOT / source).exists(), source
    assert final("COPY") == ["--from=build /opt/recertify /opt/recertify"]  # the runtime gets the venv only


def test_no_secret_is_baked_into_the_image() -> None:
    secretish = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|KEY)", re.IGNORECASE)
    for keyword, arguments in instructions():
        if keyword in {"ENV", "ARG", "LABEL"}:
            names = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", arguments) or arguments.split()[:1]
            assert not [n for n in names if secretish.search(n)], (keyword, arguments)
    text = (ROOT / "Dockerfile").read_text()
    assert not re.search(r"xox[a-z]-|xapp-|://[^:/\s]+:[^@\s]+@|BEGIN [A-Z ]*PRIVATE KEY", text)
    copied = " ".join(arguments for keyword, arguments in instructions() if keyword in {"COPY", "ADD"})
    assert not re.search(r"\.env|recertify\.toml|\.db\b|\.pem|\.key", copied)


def dockerignored(relative: str, patterns: list[str]) -> bool:
    """Docker's rule: a path is left out of the build context when it or one of its parent directories
    matches a pattern, the last matching line winning (`!` keeps). fnmatch's `*` also crosses `/`, so this
    errs towards "left out": it can only fail a test wrongly, never pass one wrongly."""
    parts = relative.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    left_out = False
    for pattern in patterns:
        keep = pattern.startswith("!")
        glob = pattern.removeprefix("!").strip().strip("/")
        if any(
            fnmatch.fnmatchcase(c, glob) or fnmatch.fnmatchcase(c, glob.removeprefix("**/"))
            for c in candidates
        ):
            left_out = not keep
    return left_out


def test_the_build_context_keeps_every_file_the_package_is_built_from() -> None:
    """The COPY lines name whole packages, but .dockerignore decides what of them reaches the build: a
    pattern like `*.yaml` or `**/migrations` would leave the image without bot/manifest.yaml or the schema."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    data = setuptools["package-data"]
    sources = [
        source
        for keyword, arguments in stages()[0]
        if keyword == "COPY"
        for source in arguments.split()[:-1]
        if not source.startswith("--")
    ]
    needed = []
    for source in sources:
        path = ROOT / source
        for file in [path] if path.is_file() else sorted(path.rglob("*")):
            if "__pycache__" in file.parts or not file.is_file():
                continue
            package = ".".join(file.parent.relative_to(ROOT).parts)
            if path.is_file() or file.suffix == ".py" or any(file.match(g) for g in data.get(package, [])):
                needed.append(file.relative_to(ROOT).as_posix())
    assert any(n.endswith("manifest.yaml") for n in needed) and any(n.endswith(".mako") for n in needed)
    left_out = [n for n in needed if dockerignored(n, patterns)]
    assert not left_out, f".dockerignore leaves out of the build what the package needs: {left_out}"


@pytest.mark.parametrize("pattern", [".git", ".venv", "tests", "*.db", "recertify.toml", "*.env", ".env*"])
def test_the_build_context_leaves_out_local_and_secret_files(pattern: str) -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert pattern in ignored
