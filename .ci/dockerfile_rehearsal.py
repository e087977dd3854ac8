"""The Dockerfile read for .ci/image-rehearsal, which does what the image would do without a Docker engine.

Standard library only (it runs on the machine's python3.11 before any virtual environment exists):

  copy ROOT            the build stage's COPY lines done into ROOT (ROOT/src for WORKDIR /src), from the
                       build context as Docker sends it (.dockerignore applied); a missing source fails.
                       First, what pyproject.toml packages from the repository, into ROOT/packaged.json
  plan ROOT PORT HOST  bash assignments to source: the build stage's WORKDIR, ENV and RUN lines, the runtime
                       stage's ENV, USER, the groupadd/useradd that create it, WORKDIR, ENTRYPOINT + CMD
                       (the port and host substituted) and HEALTHCHECK (its port substituted), every image
                       path mapped under ROOT
  installed ROOT SITE  every module and package-data file of the packages pyproject.toml declares, as the
                       repository had them when `copy` ran, is in the installed SITE (site-packages): a
                       package left out of the COPY lines (or by .dockerignore) fails here; prints the
                       modules, one a line
  wait URL SECONDS PID GET URL until it answers 200 (exit 1 when it does not in time, or PID exits)
  metrics URL VERSION  GET URL: 200, the Prometheus text format (parsed with prometheus_client when it can be
                       imported), recertify_build_info for VERSION
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shlex
import shutil
import sys
import time
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

CONTEXT = Path(__file__).resolve().parent.parent
# Another Dockerfile (a change being tried) with RECERTIFY_REHEARSAL_DOCKERFILE; the context stays the repo.
DOCKERFILE = Path(os.environ.get("RECERTIFY_REHEARSAL_DOCKERFILE") or CONTEXT / "Dockerfile")
# What a python:3.11-slim base image sets before the Dockerfile's own ENV (PATH has no /usr/local python
# here: plan() puts the rehearsal's `python` first).
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
BASE_ENV = {"PATH": BASE_PATH, "LANG": "C.UTF-8"}


class Refused(Exception):
    """The Dockerfile asks for something the rehearsal cannot follow faithfully."""


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [arguments for k, arguments in self.instructions if k == keyword]


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order: continuation lines joined, comment lines dropped (as Docker does,
    also inside a continuation)."""
    logical, current = [], ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") or (not current and not line.strip()):
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    if current.strip():
        logical.append(current)
    result = []
    for line in logical:
        keyword, _, arguments = line.strip().partition(" ")
        result.append((keyword.upper(), arguments.strip()))
    return result


def stages(text: str) -> list[Stage]:
    found: list[Stage] = []
    for keyword, arguments in instructions(text):
        if keyword == "FROM":
            words = arguments.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            found.append(Stage(words[0], name))
        elif not found:
            if keyword != "ARG":
                raise Refused(f"{keyword} before the first FROM")
        else:
            found[-1].instructions.append((keyword, arguments))
    if not found:
        raise Refused("no FROM in the Dockerfile")
    return found


def argv(arguments: str) -> list[str]:
    """An exec-form (JSON) or shell-form instruction as the argv Docker runs."""
    if arguments.startswith("["):
        parsed = json.loads(arguments)
        if not (isinstance(parsed, list) and all(isinstance(a, str) for a in parsed)):
            raise Refused(f"not a JSON list of strings: {arguments}")
        return parsed
    return ["/bin/sh", "-c", arguments]


def copy_words(arguments: str) -> tuple[dict[str, str], list[str]]:
    """COPY's --flags and its sources then destination."""
    words = json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)
    flags = {}
    while words and words[0].startswith("--"):
        key, _, value = words.pop(0)[2:].partition("=")
        flags[key] = value
    if len(words) < 2:
        raise Refused(f"COPY needs a source and a destination: {arguments}")
    return flags, words


def build_and_runtime(all_stages: list[Stage]) -> tuple[Stage, Stage, list[tuple[str, str]]]:
    """The runtime stage (the last), the stage it copies from, and what it copies (source, destination)."""
    runtime = all_stages[-1]
    taken: list[tuple[str, str]] = []
    names: set[str] = set()
    for arguments in runtime.all("COPY") + runtime.all("ADD"):
        flags, words = copy_words(arguments)
        if "from" not in flags:
            raise Refused(f"the runtime stage copies from the build context: {arguments}")
        names.add(flags["from"])
        taken += [(source, words[-1]) for source in words[:-1]]
    if len(names) != 1:
        raise Refused(f"the runtime stage must copy from exactly one build stage, not {sorted(names)}")
    (name,) = names
    build = next((s for s in all_stages[:-1] if s.name == name or str(all_stages.index(s)) == name), None)
    if build is None:
        raise Refused(f"no stage named {name}")
    return build, runtime, taken


def workdir_of(stage: Stage, until: int | None = None) -> str:
    current = "/"
    for keyword, arguments in stage.instructions[:until]:
        if keyword == "WORKDIR":
            current = arguments if arguments.startswith("/") else f"{current.rstrip('/')}/{arguments}"
    return current


def under(root: Path, image_path: str) -> Path:
    return root / image_path.lstrip("/")


# --- .dockerignore, as Docker's pattern matcher reads it ---------------------------------------------------


def ignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    path = CONTEXT / ".dockerignore"
    for raw in path.read_text().splitlines() if path.exists() else []:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keep = line.startswith("!")
        pattern = line[1:].strip() if keep else line
        pattern = re.sub(r"/+", "/", pattern).strip("/")
        if pattern.startswith("./"):
            pattern = pattern[2:]
        rules.append((keep, re.compile(pattern_regex(pattern))))
    return rules


def pattern_regex(pattern: str) -> str:
    regex, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            regex, i = regex + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            regex, i = regex + ".*", i + 2
        elif pattern[i] == "*":
            regex, i = regex + "[^/]*", i + 1
        elif pattern[i] == "?":
            regex, i = regex + "[^/]", i + 1
        elif pattern[i] == "[" and "]" in pattern[i + 1 :]:
            end = pattern.index("]", i + 1)
            regex, i = regex + "[" + pattern[i + 1 : end].replace("!", "^", 1) + "]", end + 1
        else:
            regex, i = regex + re.escape(pattern[i]), i + 1
    return f"^{regex}$"


def ignored(relative: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Docker: a path is left out when it or one of its parent directories matches, the last rule winning."""
    parts = relative.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    result = False
    for keep, regex in rules:
        if any(regex.match(candidate) for candidate in candidates):
            result = not keep
    return result


def context_files(source: Path, rules: list[tuple[bool, re.Pattern[str]]]) -> list[Path]:
    """The files under `source` (a file or a directory) that the build context holds."""
    paths = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
    return [p for p in paths if not ignored(p.relative_to(CONTEXT).as_posix(), rules)]


def copy(root: Path) -> None:
    build, _, _ = build_and_runtime(stages(DOCKERFILE.read_text()))
    rules = ignore_rules()
    if build.all("ADD"):
        raise Refused("the build stage uses ADD, which the rehearsal does not follow")
    expected, unpackaged = packaged_files()  # taken first: what the copy must hold
    root.mkdir(parents=True, exist_ok=True)
    (root / "packaged.json").write_text(json.dumps({"expected": expected, "unpackaged": unpackaged}))
    for index, (keyword, arguments) in enumerate(build.instructions):
        if keyword != "COPY":
            continue
        flags, words = copy_words(arguments)
        if "from" in flags:
            raise Refused(f"the build stage copies from another stage: {arguments}")
        *sources, destination = words
        into_directory = destination.endswith("/") or len(sources) > 1
        if not destination.startswith("/"):
            destination = f"{workdir_of(build, index).rstrip('/')}/{destination}"
        destination = posixpath.normpath(destination) + ("/" if into_directory else "")
        target = under(root, destination)
        for pattern in sources:
            matches = sorted(CONTEXT.glob(pattern)) if re.search(r"[*?\[]", pattern) else [CONTEXT / pattern]
            matches = [m for m in matches if m.exists() and m.resolve().is_relative_to(CONTEXT)]
            files = [f for m in matches for f in context_files(m, rules)]
            if not files:
                raise Refused(
                    f"COPY {pattern}: not in the build context (missing, or left out by .dockerignore)"
                )
            for match in matches:
                for file in context_files(match, rules):
                    if match.is_dir():
                        to = target / file.relative_to(match)
                    elif into_directory or len(matches) > 1 or target.is_dir():
                        to = target / file.name
                    else:
                        to = target
                    to.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(file, to)
            count = len(files)
            shown = f"{pattern} -> {destination}"
            out(f"  COPY {shown} ({count} file{'s' if count != 1 else ''})")


# --- plan: what bash runs -------------------------------------------------------------------------------


def env_of(stage: Stage, base: dict[str, str]) -> dict[str, str]:
    env = dict(base)
    for arguments in stage.all("ENV"):
        words = shlex.split(arguments)
        pairs = (
            [tuple(w.split("=", 1)) for w in words]
            if all("=" in w for w in words)
            else [(words[0], arguments.split(None, 1)[1])]
        )
        for name, value in pairs:
            env[name] = re.sub(
                r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m, e=env: e.get(m.group(1), ""), value
            )
    return env


def substituted(arguments: list[str], option: str, value: str) -> list[str]:
    if option not in arguments or arguments.index(option) + 1 >= len(arguments):
        raise Refused(f"the default command has no {option} VALUE: {arguments}")
    position = arguments.index(option) + 1
    return arguments[:position] + [value] + arguments[position + 1 :]


def seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)", duration)
    if not match:
        raise Refused(f"a duration Docker takes but the rehearsal does not: {duration}")
    return float(match.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[match.group(2)]


def bash_array(name: str, values: list[str]) -> str:
    return f"{name}=({' '.join(shlex.quote(v) for v in values)})"


def plan(root: Path, port: str, host: str) -> None:
    build, runtime, taken = build_and_runtime(stages(DOCKERFILE.read_text()))
    # Every image path the rehearsal makes lives under ROOT: the build WORKDIR, what the runtime takes
    # from the build stage (the virtual environment) and the runtime WORKDIR.
    image_paths = {workdir_of(build), workdir_of(runtime)} | {p for pair in taken for p in pair}
    image_paths = {p.rstrip("/") for p in image_paths if p.startswith("/") and p != "/"}

    def mapped(text: str) -> str:
        for path in sorted(image_paths, key=len, reverse=True):
            text = re.sub(rf"(?<![\w/.-]){re.escape(path)}(?=/|\b|$)", str(under(root, path)), text)
        return text

    for source, destination in taken:
        if source.rstrip("/") != destination.rstrip("/"):
            raise Refused(f"{source} is copied to {destination}: a virtual environment cannot move")
    rehearsal_bin = root / "base" / "bin"  # `python` of the base image: the rehearsal's python3.11
    build_env = env_of(build, {})
    runtime_env = env_of(runtime, BASE_ENV)
    runtime_env = {name: mapped(value) for name, value in runtime_env.items()}
    runtime_env["PATH"] = runtime_env["PATH"].replace(BASE_PATH, f"{rehearsal_bin}:{BASE_PATH}")
    runs = [mapped(arguments) for arguments in build.all("RUN")]
    if any(r.startswith("[") for r in runs):
        raise Refused("an exec-form RUN in the build stage")

    users = runtime.all("USER")
    if not users:
        raise Refused("the runtime stage names no USER: the image would run as root")
    user, _, group = users[-1].partition(":")
    if not user.isdigit() or (group and not group.isdigit()):
        raise Refused(
            f"USER {users[-1]}: the rehearsal needs a numeric uid:gid (as Kubernetes' runAsNonRoot)"
        )
    created = " ".join(runtime.all("RUN"))
    # The image's user as the runtime stage creates it: its groupadd and useradd commands, nothing else of
    # that RUN (its directories are the rehearsal's, under ROOT).
    accounts = [
        command.strip()
        for run in runtime.all("RUN")
        for command in re.split(r"&&|;", run)
        if command.strip().startswith(("groupadd ", "useradd "))
    ]
    home = re.search(rf"useradd\b[^&;|]*--uid {user}\b[^&;|]*", created)
    home_dir = re.search(r"--home-dir (\S+)", home.group(0)) if home else None

    (entrypoint,) = runtime.all("ENTRYPOINT")[-1:] or [None]
    (cmd,) = runtime.all("CMD")[-1:] or [None]
    if entrypoint is None or cmd is None:
        raise Refused("the runtime stage needs an ENTRYPOINT and a CMD")
    default = argv(cmd)
    image_port = default[default.index("--http") + 1] if "--http" in default else None
    if image_port is None:
        raise Refused(f"the default command is not HTTP mode (no --http): {default}")
    serve = argv(entrypoint) + substituted(substituted(default, "--http", port), "--host", host)

    (check,) = runtime.all("HEALTHCHECK")[-1:] or [None]
    if check is None or check.upper() == "NONE":
        raise Refused("the runtime stage has no HEALTHCHECK")
    options, _, command = check.partition("CMD ")
    timeout = re.search(r"--timeout=(\S+)", options)
    probe = argv(command.strip())
    probed = {m for a in probe for m in re.findall(r"https?://[^/\s:'\"]+:(\d+)/", a)}
    if probed != {image_port}:
        raise Refused(
            f"the HEALTHCHECK probes port(s) {sorted(probed)} but the default command serves {image_port}"
        )
    probe = [re.sub(rf"(https?://[^/\s:'\"]+):{image_port}/", rf"\g<1>:{port}/", a) for a in probe]

    out(f"BUILD_WORKDIR={shlex.quote(str(under(root, workdir_of(build))))}")
    out(bash_array("BUILD_ENV", [f"{k}={v}" for k, v in build_env.items()]))
    out(bash_array("BUILD_RUN", runs))
    out(f"REHEARSAL_BIN={shlex.quote(str(rehearsal_bin))}")
    out(bash_array("RUNTIME_ENV", [f"{k}={v}" for k, v in runtime_env.items()]))
    out(f"RUNTIME_UID={user} RUNTIME_GID={group or user}")
    out(bash_array("RUNTIME_ACCOUNTS", accounts))
    out(f"RUNTIME_HOME={shlex.quote(home_dir.group(1) if home_dir else '/')}")
    out(f"RUNTIME_WORKDIR={shlex.quote(str(under(root, workdir_of(runtime))))}")
    out(f"VENV={shlex.quote(str(under(root, taken[0][1])))}")
    out(bash_array("ENTRYPOINT", argv(entrypoint)))
    out(bash_array("SERVE", serve))
    out(bash_array("HEALTHCHECK", probe))
    out(f"HEALTHCHECK_TIMEOUT={seconds(timeout.group(1)) if timeout else 30.0:g}")
    out(f"IMAGE_PORT={image_port}")


# --- the installed package against the repository -------------------------------------------------------


def packaged_files() -> tuple[list[str], list[str]]:
    """What pyproject.toml packages, as the repository has it now: every module and package-data file of the
    packages it declares (relative paths), and the other files found in those packages (never installed)."""
    project = tomllib.loads((CONTEXT / "pyproject.toml").read_text())
    setuptools = project["tool"]["setuptools"]
    top = sorted({p.split(".")[0].rstrip("*") for p in setuptools["packages"]["find"]["include"]})
    data = setuptools.get("package-data", {})
    expected = [f"{m}.py" for m in setuptools.get("py-modules", [])]
    unpackaged = []
    for package in top:
        if not (CONTEXT / package).is_dir():
            raise Refused(
                f"pyproject.toml declares the package {package}, which the repository does not have"
            )
        for path in sorted((CONTEXT / package).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            owner = ".".join(path.parent.relative_to(CONTEXT).parts)
            if path.suffix == ".py" or any(path.match(g) for g in data.get(owner, []) + data.get("*", [])):
                expected.append(path.relative_to(CONTEXT).as_posix())
            else:
                unpackaged.append(path.relative_to(CONTEXT).as_posix())
    return expected, unpackaged


def installed(root: Path, site: Path) -> None:
    """Against the repository as it was when copy() ran (others may be editing it meanwhile)."""
    snapshot = json.loads((root / "packaged.json").read_text())
    expected, unpackaged = snapshot["expected"], snapshot["unpackaged"]
    missing = [relative for relative in expected if not (site / relative).is_file()]
    if unpackaged:
        sys.stderr.write(
            "note: in a package but not packaged (not in package-data): " + ", ".join(unpackaged) + "\n"
        )
    if missing:
        sys.stderr.write("not installed by the image's build: " + ", ".join(missing) + "\n")
        raise SystemExit(1)
    modules = [
        ".".join(Path(relative).with_suffix("").parts).removesuffix(".__init__")
        for relative in expected
        if relative.endswith(".py")
    ]
    for module in sorted(modules):
        out(module)


# --- HTTP checks ----------------------------------------------------------------------------------------


def get(url: str, timeout: float = 5) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:  # noqa: S310  (http://127.0.0.1 only)
            return reply.status, reply.headers.get("Content-Type", ""), reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def exited(pid: str) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in {"Z", "X"}


def wait(url: str, limit: float, pid: str) -> None:
    deadline, last = time.monotonic() + limit, "no answer"
    while time.monotonic() < deadline:
        if exited(pid):
            sys.stderr.write(f"the process {pid} exited before {url} answered 200\n")
            raise SystemExit(1)
        try:
            status, _, body = get(url, timeout=1)
            if status == 200:
                return
            last = f"{status} {body.decode(errors='replace').strip()}"
        except OSError as exc:
            last = type(exc).__name__
        time.sleep(0.2)
    sys.stderr.write(f"{url} did not answer 200 within {limit:g} s (last: {last})\n")
    raise SystemExit(1)


def metrics(url: str, version: str) -> None:
    status, content_type, body = get(url)
    text = body.decode()
    problems = []
    if status != 200:
        problems.append(f"status {status}: {text.strip()[:200]}")
    if not content_type.startswith("text/plain") or "version=" not in content_type:
        problems.append(f"Content-Type {content_type!r} is not the Prometheus text format")
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        families = {m.group(1) for m in re.finditer(r"^# TYPE (\S+) ", text, re.MULTILINE)}
    else:
        try:
            families = {family.name for family in text_string_to_metric_families(text)}
        except ValueError as exc:
            problems.append(f"not parsable as the Prometheus text format: {exc}")
            families = set()
    if f'recertify_build_info{{version="{version}"}} 1.0' not in text:
        problems.append(f"no recertify_build_info for version {version}")
    if problems:
        sys.stderr.write("; ".join(problems) + "\n")
        raise SystemExit(1)
    ours = sorted(f for f in families if f.startswith("recertify_"))
    out(f"{len(families)} metric families, {len(ours)} of them recertify_*")


def main(args: list[str]) -> None:
    try:
        match args:
            case ["copy", root]:
                copy(Path(root))
            case ["plan", root, port, host]:
                plan(Path(root), port, host)
            case ["installed", root, site]:
                installed(Path(root), Path(site))
            case ["wait", url, limit, pid]:
                wait(url, float(limit), pid)
            case ["metrics", url, version]:
                metrics(url, version)
            case _:
                sys.stderr.write(__doc__ or "")
                raise SystemExit(2)
    except Refused as exc:
        sys.stderr.write(f"Dockerfile: {exc}\n")
        raise SystemExit(1) from None


if __name__ == "__main__":
    main(sys.argv[1:])
