"""Small helpers shared by the benchmarks: repeated timing, medians, and the results file."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULTS_FILE = PROJECT_ROOT / "bench" / "RESULTS.md"
BEFORE_AFTER_FILE = PROJECT_ROOT / "bench" / "BEFORE_AFTER.md"


def median_seconds(action: Callable[[], object], repeats: int) -> float:
    """Median wall time of `repeats` runs of `action`."""
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def run_python(
    arguments: Sequence[str], *, cwd: Path = PROJECT_ROOT, isolated: bool = False
) -> None:
    """Run this interpreter with `arguments`, failing loudly if the command fails."""
    flags = ["-I"] if isolated else []
    subprocess.run([sys.executable, *flags, *arguments], cwd=cwd, check=True, capture_output=True)


def report(title: str, rows: list[tuple[str, str]]) -> str:
    """Print a figure table and return it as Markdown for RESULTS.md."""
    width = max(len(name) for name, _ in rows)
    print(f"\n{title}")
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    table = [
        "| measure | value |",
        "| --- | --- |",
        *(f"| {name} | {value} |" for name, value in rows),
    ]
    return f"### {title}\n\n" + "\n".join(table) + "\n"


def write_results(sections: list[str], command: str) -> None:
    header = (
        "# Benchmark results\n\n"
        f"Measured on {date.today().isoformat()} with `{command}` on this project's 2-core machine.\n"
        "Medians of repeated runs; ratios are measured within one run. Machines are noisy: compare\n"
        "ratios, not absolute times.\n\n"
    )
    history = BEFORE_AFTER_FILE.read_text() if BEFORE_AFTER_FILE.exists() else ""
    RESULTS_FILE.write_text(header + "\n".join([*sections, history]))
    print(f"\nwritten to {RESULTS_FILE.relative_to(PROJECT_ROOT)}")


def update_section(section: str) -> None:
    """Replace the section with the same `### ` title in RESULTS.md (or add it first)."""
    title = section.split("\n", 1)[0]
    text = RESULTS_FILE.read_text() if RESULTS_FILE.exists() else ""
    start = text.find(title.split("(")[0].rstrip())
    if start < 0:
        first = text.find("### ")
        start = end = first if first >= 0 else len(text)
    else:
        following = text.find("\n### ", start + 1)
        end = following + 1 if following >= 0 else len(text)
    RESULTS_FILE.write_text(text[:start] + section + "\n" + text[end:])
    print(f"\nwritten to {RESULTS_FILE.relative_to(PROJECT_ROOT)}")
