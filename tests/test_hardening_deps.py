"""Dependencies: every requirement pinned, and the vulnerability audit that CI runs on them.

RELIABILITY F9 (pins, checked against pyproject.toml) and the pip-audit step of .ci/run,
whose decisions are tested here without the network: real findings fail, an unreachable
service (or one that can audit none of the pins) is "skipped", other failures fail, and
accepted vulnerabilities need a reason in .pip-audit-ignore.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def _load_helper() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ci_pip_audit", ROOT / ".ci" / "pip_audit.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


helper = _load_helper()


def pins() -> dict[str, Version]:
    """constraints.txt as {canonical name: version}."""
    lines = (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
    pairs = [line.split("==") for line in lines if line and not line.startswith("#")]
    return {canonicalize_name(name): Version(version) for name, version in pairs}


# --------------------------------------------------------------------------- pins


def requirements() -> list[Requirement]:
    """Runtime and dev requirements of the project."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [
        Requirement(r) for r in (*project["dependencies"], *project["optional-dependencies"]["dev"])
    ]


@pytest.mark.parametrize("requirement", requirements(), ids=str)
def test_every_requirement_is_pinned_within_its_range(requirement: Requirement) -> None:
    """F9: constraints.txt pins each requirement to a version its range allows."""
    pinned = pins().get(canonicalize_name(requirement.name))
    assert pinned is not None, f"{requirement.name} is not pinned in constraints.txt"
    assert requirement.specifier.contains(pinned, prereleases=True), (requirement, pinned)


def test_constraints_are_sorted_unique_and_exact() -> None:
    """One exact pin per package, as pip freeze writes them, and the ranges the core needs."""
    lines = [line for line in (ROOT / "constraints.txt").read_text().splitlines() if line]
    pinned = [line for line in lines if not line.startswith("#")]
    assert all(line.count("==") == 1 for line in pinned)
    names = [canonicalize_name(line.split("==")[0]) for line in pinned]
    assert len(names) == len(set(names))
    assert pins()["discord-py"] in Requirement("discord.py>=2.7,<2.8").specifier
    assert pins()["sqlite-utils"] in Requirement("sqlite-utils>=4.2,<5").specifier
    assert "pip-audit" in pins()


def test_ci_audits_the_pins_before_the_tests() -> None:
    """.ci/run runs the audit step (and the tests stay its last word)."""
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ".venv/bin/python .ci/pip_audit.py" in script
    assert script.index(".ci/pip_audit.py") < script.rindex(".venv/bin/pytest")


# --------------------------------------------------------------------------- the audit step


def report(*dependencies: dict[str, Any]) -> str:
    """A pip-audit JSON report."""
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


CLEAN = {"name": "aiohttp", "version": "3.14.5", "vulns": []}
VULNERABLE = {
    "name": "requests",
    "version": "2.25.0",
    "vulns": [{"id": "GHSA-j8r2-6x86-q33q", "fix_versions": ["2.31.0"], "aliases": []}],
}
NOT_FOUND = {
    "name": "pytest",
    "skip_reason": "Dependency not found on PyPI and could not be audited",
}
TRACEBACK = (
    "Traceback (most recent call last):\n  ...\nrequests.exceptions.ConnectionError: "
    "HTTPSConnectionPool(host='pypi.org', port=443): Max retries exceeded"
)
CASES = [
    ("clean", 0, report(CLEAN, CLEAN), "", "ok", 0),
    ("clean, some unknown", 0, report(CLEAN, NOT_FOUND), "", "ok", 0),
    ("a vulnerability", 1, report(CLEAN, VULNERABLE), "", "vulnerable", 1),
    ("nothing could be audited", 0, report(NOT_FOUND, NOT_FOUND), "", "unaudited", 1),
    ("an empty report", 0, report(), "", "unaudited", 1),
    ("service unreachable", 1, None, TRACEBACK, "skipped", 0),
    ("read timeout", 1, None, "requests.exceptions.ReadTimeout: timed out", "skipped", 0),
    ("bad arguments", 2, None, "usage: pip-audit ...\nerror: unrecognized", "error", 1),
    ("failed without a report", 1, "", "Killed", "error", 1),
]


@pytest.mark.parametrize(
    ("returncode", "text", "stderr", "kind", "exit_code"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_audit_outcomes(
    returncode: int, text: str | None, stderr: str, kind: str, exit_code: int
) -> None:
    """Real findings, broken runs and runs that audit nothing fail the step; an unreachable
    service does not."""
    outcome = helper.classify(returncode, text, stderr)
    assert (outcome.kind, outcome.exit_code) == (kind, exit_code)
    if kind == "skipped":
        assert outcome.message.startswith("skipped: service unreachable")
    if kind == "vulnerable":
        assert outcome.findings == ["requests 2.25.0: GHSA-j8r2-6x86-q33q (fixed in 2.31.0)"]


def test_audit_runs_on_exactly_the_pins_with_the_ignores(tmp_path: Path) -> None:
    """pip-audit gets the constraints file without resolving or installing anything, and one
    --ignore-vuln per accepted vulnerability."""
    seen: list[list[str]] = []

    def fake(command: list[str]) -> subprocess.CompletedProcess[str]:
        seen.append(command)
        output = Path(command[command.index("--output") + 1])
        output.write_text(report(CLEAN))
        return subprocess.CompletedProcess(command, 0, "", "")

    outcome = helper.audit(ROOT / "constraints.txt", {"GHSA-1": "why", "PYSEC-2": "why"}, fake)
    assert outcome.kind == "ok"
    (command,) = seen
    assert command[1:4] == ["-m", "pip_audit", "--requirement"]
    assert {"--no-deps", "--disable-pip"} <= set(command)
    assert command[-4:] == ["--ignore-vuln", "GHSA-1", "--ignore-vuln", "PYSEC-2"]

    def hangs(command: list[str]) -> subprocess.CompletedProcess[str]:
        raise subprocess.TimeoutExpired(command, 900)

    assert helper.audit(ROOT / "constraints.txt", {}, hangs).kind == "skipped"


def _service(canary_report: str) -> Any:
    """A fake pip-audit whose service knows none of our pins and answers the canary with
    ``canary_report``; it records which requirement files it was given."""
    seen: list[str] = []

    def fake(command: list[str]) -> subprocess.CompletedProcess[str]:
        requirements = Path(command[command.index("--requirement") + 1])
        seen.append(requirements.read_text(encoding="utf-8"))
        is_canary = requirements.name == "canary.txt"
        output = Path(command[command.index("--output") + 1])
        output.write_text(canary_report if is_canary else report(NOT_FOUND, NOT_FOUND))
        return subprocess.CompletedProcess(command, 1 if is_canary else 0, "", "")

    fake.seen = seen  # type: ignore[attr-defined]
    return fake


def test_audit_fails_closed_when_a_working_service_audits_none_of_the_pins() -> None:
    """A service that flags the canary but skipped every pin fails the step."""
    canary = {**VULNERABLE, "version": "2.19.1"}
    fake = _service(report(canary))
    outcome = helper.audit(ROOT / "constraints.txt", {}, fake)
    assert (outcome.kind, outcome.exit_code) == ("error", 1)
    assert "failing closed" in outcome.message
    assert fake.seen[1] == helper.CANARY + "\n"


def test_audit_says_in_one_line_when_no_service_is_reachable() -> None:
    """A mirror that knows neither the pins nor the canary is "no service reachable"."""
    outcome = helper.audit(ROOT / "constraints.txt", {}, _service(report(NOT_FOUND)))
    assert (outcome.kind, outcome.exit_code) == ("skipped", 0)
    assert outcome.message.startswith("skipped: no vulnerability service reachable")
    assert "\n" not in outcome.message


def test_ci_pins_pip() -> None:
    """.ci/run installs one exact pip, so a pip release cannot change CI under us."""
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "--upgrade pip" not in script
    assert "pip install --quiet pip==" in script


def test_ignore_file_needs_a_reason_for_each_id(tmp_path: Path) -> None:
    """Comments and blank lines are skipped; an id without a reason is refused by line."""
    path = tmp_path / ".pip-audit-ignore"
    path.write_text("# accepted\n\nGHSA-aaaa  only the server side is affected\n")
    assert helper.read_ignores(path) == {"GHSA-aaaa": "only the server side is affected"}
    path.write_text("GHSA-aaaa  fine\nPYSEC-1\n")
    with pytest.raises(ValueError, match=r"\.pip-audit-ignore:2: PYSEC-1 needs a reason"):
        helper.read_ignores(path)
    assert helper.read_ignores(tmp_path / "missing") == {}
    assert all(helper.read_ignores(ROOT / ".pip-audit-ignore").values())  # the shipped file
