"""`python -m tools.permission_paths [--check]`: write docs/permission-paths.md from mocked runs
of the program (dev, prod, dev with a domain) judged by the IAM simulator; `--check` only
reports whether the page is current. Exits 1 when a path is denied or a twin allowed."""

from __future__ import annotations

import argparse
import sys

from tools.offline import PROJECT_ROOT
from tools.permission_paths.catalogue import STACKS, judged_stack
from tools.permission_paths.render import page

PAGE = PROJECT_ROOT / "docs" / "permission-paths.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.permission_paths")
    parser.add_argument("--check", action="store_true", help="fail if the page is not current")
    args = parser.parse_args(argv)
    judged = {stack: judged_stack(stack) for stack in STACKS}
    text = page(judged)
    if args.check:
        current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
        if current != text:
            print(
                f"{PAGE} is out of date: run `.venv/bin/python -m tools.permission_paths`",
                file=sys.stderr,
            )
            return 1
    else:
        PAGE.write_text(text, encoding="utf-8")
        print(f"wrote {PAGE}")
    failing = [
        (stack, item) for stack, items in judged.items() for item in items if item.failures()
    ]
    for stack, item in failing:
        print(f"{stack}: {item.path.title}: {'; '.join(item.failures())}", file=sys.stderr)
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
