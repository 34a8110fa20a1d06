"""The pull request comment: the offline review of dev and prod against the base branch.

    python -m tools.review.comment --base origin/main --pr 42 --out review/

runs `python -m tools.plan STACK --base REF --diff` for each stack and writes `review/comment.md`
(Markdown that starts with a hidden marker, at most `MAX_COMMENT_CHARS`) and `review/pr-number`.
CI computes these in the `pull_request` run, with a read-only token, and hands them over as an
artifact; `.github/workflows/pull-request-comment.yml` posts them (and checks them again: it
treats the artifact as untrusted data). The exit code is 0 whatever the plans found: the
`checks` job is the gate; this is the report.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tools.offline import PROJECT_ROOT

MARKER = "<!-- offline-review -->"
# GitHub refuses comments over 65,536 characters; each stack's plan gets an equal share.
MAX_COMMENT_CHARS = 60_000
STACKS = ("dev", "prod")
SUMMARY_LINE = re.compile(
    r"^(Resources: .*|  Total .*|  Change against the base: .*|\d+ mandatory violations?)$",
    re.MULTILINE,
)


@dataclass(frozen=True)
class StackReview:
    stack: str
    exit_code: int
    output: str


def review_stack(stack: str, base: str, root: Path = PROJECT_ROOT) -> StackReview:
    result = subprocess.run(  # noqa: S603 - our interpreter, our module, arguments as a list
        [sys.executable, "-m", "tools.plan", stack, "--base", base, "--diff"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    output = result.stdout + (f"\n{result.stderr}" if result.stderr.strip() else "")
    return StackReview(stack, result.returncode, output)


def comment(reviews: list[StackReview], base: str) -> str:
    share = (MAX_COMMENT_CHARS - 1_000) // max(len(reviews), 1)
    parts = [MARKER, f"### Offline review against `{base}` (mocked AWS, no credentials)", ""]
    for review in reviews:
        verdict = {0: "passes", 1: "mandatory policy violation", 2: "invalid configuration"}
        parts.append(f"**{review.stack}**: {verdict.get(review.exit_code, 'failed')}")
        parts += [f"- `{' '.join(line.split())}`" for line in SUMMARY_LINE.findall(review.output)]
        parts += [
            "",
            "<details><summary>the whole plan</summary>",
            "",
            _fenced(review.output, share),
        ]
        parts += ["</details>", ""]
    parts.append("Computed by `python -m tools.plan STACK --base REF --diff` (see docs/review.md).")
    return "\n".join(parts)[:MAX_COMMENT_CHARS]


def _fenced(text: str, limit: int) -> str:
    if len(text) > limit:
        text = text[:limit] + "\n... (cut: run the command locally for the rest)"
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="comment", description="Offline review comment.")
    parser.add_argument("--base", required=True, metavar="REF")
    parser.add_argument("--pr", required=True, type=int, metavar="NUMBER")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR")
    parser.add_argument("--stack", action="append", dest="stacks", metavar="STACK")
    options = parser.parse_args(argv)
    reviews = []
    for stack in options.stacks or STACKS:
        print(f"reviewing {stack} against {options.base} ...", flush=True)
        reviews.append(review_stack(stack, options.base))
    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / "comment.md").write_text(comment(reviews, options.base))
    (options.out / "pr-number").write_text(f"{options.pr}\n")
    print(f"wrote {options.out / 'comment.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
