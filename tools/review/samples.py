"""The sample outputs in README.md and docs/review.md, generated from real runs of the plan.

    python -m tools.review.samples           # rewrite the marked blocks
    python -m tools.review.samples --check   # exit 1 naming the blocks that are out of date

A generated block sits between `<!-- sample: NAME ... -->` and `<!-- end of sample -->` and is
the whole fenced block between them. Each sample runs the real program under mocks, as
`python -m tools.plan` does, and shows an excerpt of what it prints (`...` marks left-out lines):

- `make-plan` (README): `make plan`, the dev stack with no base.
- `review-diff` (docs/review.md): `make plan BASE=HEAD` (`--base HEAD --diff`) after an edit of
  Pulumi.dev.yaml on a clean checkout: `apiAuthorization: AWS_IAM` and a third monitor site. The
  base is the program and stack file as they are here (which is what HEAD is when clean).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from tools.offline import PROJECT_ROOT, run_program
from tools.plan import printed, review
from tools.policy_gate import check_plan
from tools.review.snapshot import snapshot_of

BLOCK = re.compile(
    r"(?P<open><!-- sample: (?P<name>[\w-]+)[^\n]*-->\n)(?P<body>.*?)(?P<close><!-- end of sample -->)",
    re.DOTALL,
)
PAGES = (PROJECT_ROOT / "README.md", PROJECT_ROOT / "docs" / "review.md")
SITE = "    - https://www.wikipedia.org\n"
EDITS = (
    ("platform:apiAuthorization: NONE", "platform:apiAuthorization: AWS_IAM"),
    (SITE, SITE + "    - https://www.python.org\n"),
)


def make_plan() -> str:
    plan = run_program("dev")
    gate = check_plan(plan)
    text = printed(review(plan, None, "", gate), gate)
    sections = text.split("\n\n")

    def keep(section: int, index: int, line: str) -> bool:
        if sections[section].startswith(("Offline plan", "Resources:", "Policies")):
            return True
        if section == 1:
            return index < 4  # the tree's column heads and first rows
        return line.startswith("  Total")

    return _fenced("$ make plan", _excerpt(sections, keep, blank_lines=False))


def review_diff() -> str:
    base = run_program("dev")
    with tempfile.TemporaryDirectory(prefix="samples-") as temporary:
        stack_file = Path(temporary) / "Pulumi.dev.yaml"
        text = (PROJECT_ROOT / "Pulumi.dev.yaml").read_text()
        for old, new in EDITS:
            text = text.replace(old, new)
        stack_file.write_text(text)
        plan = run_program("dev", stack_file=stack_file)
    gate = check_plan(plan)
    report = review(plan, snapshot_of(base), "HEAD", gate)
    sections = printed(report, gate, diff=True).split("\n\n")

    def keep(section: int, index: int, line: str) -> bool:
        title = sections[section].split("\n", 1)[0]
        if title == "Outputs:":
            return index == 0 or line.startswith(("  +", "  ~", "  -"))
        if title.startswith("Monthly cost"):
            return not line.startswith("    ") and not line.startswith("  platform:")
        return True

    command = "$ make plan BASE=HEAD   # Pulumi.dev.yaml: apiAuthorization AWS_IAM, a third site"
    return _fenced(command, _excerpt(sections, keep, blank_lines=True))


SAMPLES: dict[str, Callable[[], str]] = {"make-plan": make_plan, "review-diff": review_diff}


def _excerpt(
    sections: list[str], keep: Callable[[int, int, str], bool], *, blank_lines: bool
) -> list[str]:
    """The kept lines; each run of left-out lines is one `...`."""
    lines: list[str] = []
    for section, text in enumerate(sections):
        if blank_lines and lines:
            lines.append("")
        for index, line in enumerate(text.splitlines()):
            if keep(section, index, line):
                lines.append(line)
            elif not lines or lines[-1].strip() != "...":
                lines.append(" " * (len(line) - len(line.lstrip())) + "...")
    return lines


def _fenced(command: str, lines: list[str]) -> str:
    return "\n".join(["```", command, *lines, "```", ""])


def rewritten(text: str, samples: dict[str, str]) -> str:
    """`text` with each marked block replaced by its sample."""

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in samples:
            raise KeyError(f"no sample named {name!r} (known: {', '.join(sorted(samples))})")
        return match["open"] + samples[name] + match["close"]

    return BLOCK.sub(replace, text)


def generated(names: set[str] | None = None) -> dict[str, str]:
    return {name: make() for name, make in SAMPLES.items() if names is None or name in names}


def stale(pages: tuple[Path, ...] = PAGES) -> list[str]:
    """`page: sample` for every marked block whose text is not what the sample prints now."""
    wanted = {match["name"] for page in pages for match in BLOCK.finditer(page.read_text())}
    samples = generated(wanted)
    found = []
    for page in pages:
        for match in BLOCK.finditer(page.read_text()):
            if match["body"] != samples[match["name"]]:
                found.append(f"{page.relative_to(PROJECT_ROOT)}: {match['name']}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="samples", description="Rewrite the sample outputs.")
    parser.add_argument("--check", action="store_true", help="only report out-of-date blocks")
    options = parser.parse_args(argv)
    if options.check:
        out_of_date = stale()
        for block in out_of_date:
            print(f"out of date: {block} (run `python -m tools.review.samples`)")
        return 1 if out_of_date else 0
    samples = generated()
    for page in PAGES:
        text = page.read_text()
        new = rewritten(text, samples)
        if new != text:
            page.write_text(new)
            print(f"rewrote {page.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
