"""Score answers from passages: `python eval/score_passages.py QUESTIONS.jsonl --cmd "..."`.

Each line of QUESTIONS is {"q", "expect": [[alternatives], ...], "kind"}. A content question
counts as answered when the status is "passage" (or "answered") and every expect group has
an alternative in the passage (or fact) text; near-miss and off-topic questions count when
the status is "no_match". The command reads one query per stdin line and prints one JSON
object per line (`sitrep ask --json -`).
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from collections import Counter


def _text(obj: dict[str, object]) -> str:
    passage = obj.get("passage")
    if isinstance(passage, dict):
        return str(passage.get("text", ""))
    fact = obj.get("fact")
    return str(fact.get("answer", "")) if isinstance(fact, dict) else ""


def main() -> int:
    """Run the command on every question; print the shares and every miss."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("questions")
    parser.add_argument("--cmd", required=True)
    args = parser.parse_args()
    with open(args.questions, encoding="utf-8") as f:
        questions = [json.loads(line) for line in f if line.strip()]
    stdin = "".join(q["q"] + "\n" for q in questions)
    # The command is the scorer's own argument, run on purpose.
    run = subprocess.run(  # noqa: S603
        shlex.split(args.cmd), input=stdin, capture_output=True, text=True, check=True
    )
    answers = [json.loads(line) for line in run.stdout.splitlines()]
    good: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for q, a in zip(questions, answers, strict=True):
        kind = "content" if q["kind"] == "content" else "abstain"
        total[kind] += 1
        if kind == "content":
            text = _text(a).casefold()
            ok = a["status"] in ("passage", "answered") and all(
                any(alt.casefold() in text for alt in group) for group in q["expect"]
            )
        else:
            ok = a["status"] == "no_match"
        good[kind] += ok
        if not ok:
            print(f"MISS {q['kind']:9s} {a['status']:8s} {q['q']}", file=sys.stderr)
    for kind in ("content", "abstain"):
        share = good[kind] / total[kind] if total[kind] else 0.0
        print(f"{kind}: {good[kind]}/{total[kind]} = {share:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
