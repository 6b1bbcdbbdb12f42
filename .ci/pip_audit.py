"""CI step: audit the pinned dependencies (constraints.txt) for known vulnerabilities.

Runs pip-audit on exactly the pinned set (``-r constraints.txt --no-deps --disable-pip``:
nothing is resolved or installed) against its default service, PyPI's JSON API.

- Known vulnerabilities not listed in ``.pip-audit-ignore`` fail the step (exit 1).
- The step fails closed: a run that audits none of the pins is never "ok". When that
  happens, a canary (one pin with a long-known advisory, ``CANARY``) is audited the same
  way. If the canary is found vulnerable, the service works and our pins went unchecked:
  the step fails. If the canary cannot be audited either, no vulnerability service is
  reachable (registry mirrors answer PyPI's per-release JSON with 404): the step says so in
  one line and passes, since CI must not fail because a service outside the project is
  down. No maintained offline advisory snapshot exists on the package registries
  (``safety-db`` was last published in 2021), so there is nothing to compare against then.
- A connection failure is "unreachable" in the same way; any other pip-audit failure (bad
  arguments, a broken install) fails the step.

``.pip-audit-ignore`` lists one vulnerability per line, its id, then why it is accepted:
``GHSA-xxxx-xxxx-xxxx  only the client side is affected; Sitrep never runs a server``.
A line without a reason is an error.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What requests/urllib3 say when there is no way through to the service.
UNREACHABLE = (
    "ConnectionError",
    "ConnectTimeout",
    "ReadTimeout",
    "ProxyError",
    "SSLError",
    "Max retries exceeded",
    "Failed to establish a new connection",
    "Name or service not known",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "timed out",
)
Runner = Callable[[list[str]], "subprocess.CompletedProcess[str]"]
# A pin with an advisory published years ago (CVE-2018-18074): any working service flags it.
CANARY = "requests==2.19.1"


@dataclass(frozen=True)
class Outcome:
    """What the audit found, and a report.

    ``ok``, ``vulnerable``, ``unaudited`` (the service audited none of the pins),
    ``skipped`` (no service reachable) or ``error``.
    """

    kind: str
    message: str
    findings: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when clean or when no service could be reached; 1 otherwise (fail closed)."""
        return 0 if self.kind in {"ok", "skipped"} else 1


def read_ignores(path: Path) -> dict[str, str]:
    """Vulnerability ids to accept, each with its reason; ValueError names a bad line."""
    if not path.exists():
        return {}
    ignores: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        vuln_id, _, reason = line.partition(" ")
        if not reason.strip():
            raise ValueError(f"{path.name}:{number}: {vuln_id} needs a reason after its id")
        ignores[vuln_id] = reason.strip()
    return ignores


def classify(returncode: int, report: str | None, stderr: str) -> Outcome:
    """Turn pip-audit's exit code, JSON report (if it wrote one) and stderr into an outcome."""
    if report is None or not report.strip():
        if returncode != 0 and any(marker in stderr for marker in UNREACHABLE):
            return Outcome("skipped", "skipped: service unreachable (pip-audit could not connect)")
        tail = stderr.strip().splitlines()[-1:] or ["no report"]
        return Outcome("error", f"pip-audit failed (exit {returncode}): {tail[0]}")
    dependencies = json.loads(report).get("dependencies", [])
    audited = [d for d in dependencies if "vulns" in d]
    skipped = [d for d in dependencies if "skip_reason" in d]
    findings = [
        f"{d['name']} {d['version']}: {v['id']}"
        + (f" (fixed in {', '.join(v['fix_versions'])})" if v.get("fix_versions") else "")
        for d in audited
        for v in d["vulns"]
    ]
    if findings:
        return Outcome("vulnerable", f"{len(findings)} known vulnerabilities", findings)
    if not audited:
        reason = skipped[0]["skip_reason"] if skipped else "the report lists no pins"
        return Outcome("unaudited", f"audited none of the {len(dependencies)} pins: {reason}")
    if returncode != 0:
        return Outcome("error", f"pip-audit failed (exit {returncode}) without findings")
    note = f"; {len(skipped)} not known to the service" if skipped else ""
    return Outcome("ok", f"ok: {len(audited)} pinned packages audited, none vulnerable{note}")


def run_audit(requirements: Path, ignores: dict[str, str], run: Runner) -> Outcome:
    """Run pip-audit once on ``requirements`` with ``run`` and classify the result."""
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "audit.json"
        command = [
            sys.executable,
            "-m",
            "pip_audit",
            "--requirement",
            str(requirements),
            "--no-deps",
            "--disable-pip",
            "--progress-spinner",
            "off",
            "--timeout",
            "20",
            "--format",
            "json",
            "--output",
            str(output),
        ]
        for vuln_id in sorted(ignores):
            command += ["--ignore-vuln", vuln_id]
        try:
            done = run(command)
        except subprocess.TimeoutExpired:
            return Outcome("skipped", "skipped: service unreachable (pip-audit timed out)")
        report = output.read_text(encoding="utf-8") if output.exists() else None
        return classify(done.returncode, report, done.stderr)


def audit(constraints: Path, ignores: dict[str, str], run: Runner) -> Outcome:
    """Audit the pins; if none could be audited, let the canary tell a dead service from a
    live one that skipped our pins."""
    outcome = run_audit(constraints, ignores, run)
    if outcome.kind != "unaudited":
        return outcome
    with tempfile.TemporaryDirectory() as scratch:
        canary = Path(scratch) / "canary.txt"
        canary.write_text(CANARY + "\n", encoding="utf-8")
        probe = run_audit(canary, {}, run)
    if probe.kind == "vulnerable":
        return Outcome(
            "error",
            f"pip-audit {outcome.message}, yet the service works (it "
            f"flags the canary {CANARY}): failing closed",
        )
    return Outcome(
        "skipped",
        f"skipped: no vulnerability service reachable ({outcome.message}; the canary "
        f"{CANARY} could not be audited either; no offline advisory snapshot is maintained)",
    )


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    # S603: the command is built by audit() from fixed arguments and repository paths.
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)  # noqa: S603


def main(argv: Sequence[str] = ()) -> int:
    """Audit ROOT/constraints.txt; print the outcome; return the step's exit code."""
    try:
        ignores = read_ignores(ROOT / ".pip-audit-ignore")
    except ValueError as exc:
        print(f"pip-audit: {exc}")
        return 1
    outcome = audit(ROOT / "constraints.txt", ignores, _run)
    print(f"pip-audit: {outcome.message}")
    for finding in outcome.findings:
        print(f"  {finding}")
    for vuln_id, reason in sorted(ignores.items()):
        print(f"  ignored {vuln_id}: {reason}")
    return outcome.exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
