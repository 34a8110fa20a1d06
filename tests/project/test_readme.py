"""The README is the first screen and docs/ holds the manual: the two set-up commands on the first
screen with what they print, a README short enough to read, links and anchors that resolve,
paths that exist, and an architecture picture rendered from the committed source.

Anchors follow GitHub's rule for heading ids (github-slugger, used by github.com's Markdown
renderer): the heading text lower-cased, punctuation removed except `-` and `_`, each space
turned into `-`, and a repeated id suffixed `-1`, `-2`, ...
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tools.offline import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
DOCS = PROJECT_ROOT / "docs"
FIRST_SCREEN = 40
MAX_README_LINES = 250
DIAGRAM_SOURCE = DOCS / "architecture.dot"
DIAGRAM = DOCS / "architecture.svg"
# `make docs` writes this comment into the SVG it renders.
STAMP = re.compile(r"<!-- source sha256: ([0-9a-f]{64})\b")
# One page per system, the pack, the review, and the rest of the manual (issue #22).
PAGES = (
    "network",
    "data",
    "web",
    "edge",
    "messaging",
    "api",
    "monitor",
    "policy-pack",
    "review",
    "delivery",
    "runbooks",
    "configuration",
    "development",
)
# Paths the pages name that only exist once something has run.
GENERATED = {"policies/.venv", "bench/.awsguard/"}
REPOSITORY_PATH = re.compile(
    r"(?:components|tests|tools|policies|functions|bench|docs|\.github)/\S*"
)
FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def markdown_files() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks (a fence's own lines excluded)."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def code_blocks(lines: list[str]) -> list[list[str]]:
    """The fenced code blocks among `lines`, each as its lines (fences excluded)."""
    blocks, current = [], None
    for line in lines:
        if FENCE.match(line):
            if current is None:
                current = []
            else:
                blocks.append(current)
                current = None
        elif current is not None:
            current.append(line)
    return blocks


def slug(heading: str) -> str:
    text = LINK.sub(lambda link: re.sub(r"^!?\[|\]\(.*$", "", link.group(0)), heading)
    return re.sub(r"[^\w\- ]", "", text.replace("`", "").strip().lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for line in prose_lines(text):
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not match:
            continue
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(text: str) -> list[str]:
    """Link and image targets of the prose (not of code blocks or inline code)."""
    targets = []
    for line in prose_lines(text):
        targets += LINK.findall(INLINE_CODE.sub("", line))
    return targets


def repository_paths(text: str) -> list[str]:
    """Paths of this repository the prose names in inline code (`components/web/tier.py`)."""
    named = []
    for line in prose_lines(text):
        for _, code in INLINE_CODE.findall(line):
            if REPOSITORY_PATH.fullmatch(code) and not re.search(r"[<>*{}$]|\.\.\.", code):
                named.append(code)
    return named


def broken_links(page: Path, text: str) -> list[str]:
    """The relative links of `text` (the content of `page`) that reach no file or heading."""
    problems = []
    for target in links(text):
        if SCHEME.match(target):
            continue
        path_part, _, fragment = target.partition("#")
        linked = (page.parent / path_part).resolve() if path_part else page
        if linked != page and (not linked.is_relative_to(PROJECT_ROOT) or not linked.exists()):
            problems.append(f"{target}: no such file")
            continue
        if not fragment:
            continue
        headings = anchors(text if linked == page else linked.read_text())
        if linked.suffix != ".md" or fragment not in headings:
            problems.append(f"{target}: no heading #{fragment} in {linked.name}")
    return problems


# --- the helpers above, on text whose answer is known --------------------------------------


def test_slugs_follow_github():
    # Ids github.com gave the README's headings before the move.
    assert slug("Quick start on a fresh machine (no AWS account, no Pulumi CLI)") == (
        "quick-start-on-a-fresh-machine-no-aws-account-no-pulumi-cli"
    )
    assert slug("Reviewing a change offline: `make plan BASE=origin/main`") == (
        "reviewing-a-change-offline-make-plan-baseoriginmain"
    )
    assert slug("The JSON format (`--json FILE`)") == "the-json-format---json-file"
    assert slug("`Database(name, DatabaseArgs, opts)` (`components/data/database.py`)") == (
        "databasename-databaseargs-opts-componentsdatadatabasepy"
    )
    assert anchors("# A\n## A\n```\n# not a heading\n```\n### A\n") == {"a", "a-1", "a-2"}


def test_the_link_checker_finds_what_is_broken():
    page = DOCS / "checker-sample.md"  # a page that is not written: its text is given
    text = (
        "# Title\n[ok](../README.md) [bad](nowhere.md) [anchor](#title) [gone](#missing)\n"
        "[web](https://example.com/x.md) `[code](skipped.md)`\n```\n[in a block](skipped.md)\n```\n"
        "[outside](../../etc/passwd) [readme anchor](../README.md#no-such-heading)\n"
    )
    assert broken_links(page, text) == [
        "nowhere.md: no such file",
        "#missing: no heading #missing in checker-sample.md",
        "../../etc/passwd: no such file",
        "../README.md#no-such-heading: no heading #no-such-heading in README.md",
    ]


# --- the README ----------------------------------------------------------------------------


def first_screen() -> list[str]:
    return README.read_text().splitlines()[:FIRST_SCREEN]


@pytest.mark.parametrize("command", ["make plan", "make test"])
def test_the_first_screen_shows_the_two_commands(command):
    shown = [line for block in code_blocks(first_screen()) for line in block]
    assert any(re.fullmatch(rf"(\$ )?{command}(\s+#.*)?", line.strip()) for line in shown), (
        f"the README's first {FIRST_SCREEN} lines show no `{command}` in a code block"
    )


def shown_output(command: str) -> list[str]:
    """The lines the first screen shows under `$ command`, up to the next prompt or fence."""
    for block in code_blocks(first_screen()):
        for index, line in enumerate(block):
            if line.strip() == f"$ {command}":
                output = []
                for shown in block[index + 1 :]:
                    if shown.startswith("$ "):
                        break
                    output.append(shown)
                return output
    raise AssertionError(f"the first screen shows no `$ {command}` with its output")


def squeezed(line: str) -> str:
    return " ".join(line.split())


def test_the_first_screen_shows_what_make_plan_prints(stack_plan):
    from tools.plan import review
    from tools.policy_gate import check_plan
    from tools.review.render import render, render_diagnostics

    plan = stack_plan("dev")
    gate = check_plan(plan)
    report = review(plan, None, "", gate)
    printed = "\n".join([render(report), render_diagnostics(report), gate.render()])
    printed_lines = {squeezed(line) for line in printed.splitlines()}
    shown = [squeezed(line) for line in shown_output("make plan")]
    quoted = [line for line in shown if line and line != "..."]
    assert any(line.startswith("Resources:") for line in quoted), "no Resources: line"
    assert any(line.endswith("mandatory violations") for line in quoted), "no policy summary"
    assert [line for line in quoted if line not in printed_lines] == []


@pytest.mark.parametrize(
    ("page", "sample"), [("README.md", "make-plan"), ("docs/review.md", "review-diff")]
)
def test_the_sample_outputs_are_what_the_plan_prints_now(page, sample):
    """`python -m tools.review.samples` wrote them from real runs; nobody edited them."""
    from tools.review.samples import BLOCK, stale

    path = PROJECT_ROOT / page
    assert sample in {match["name"] for match in BLOCK.finditer(path.read_text())}, (
        f"{page} has no generated `{sample}` block"
    )
    assert stale((path,)) == [], f"{page}: run `python -m tools.review.samples`"


def test_the_first_screen_shows_what_make_test_prints():
    shown = [squeezed(line) for line in shown_output("make test")]
    assert any(re.search(r"\b\d+ passed\b", line) for line in shown), shown


def test_the_readme_is_short():
    lines = len(README.read_text().splitlines())
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines; at most {MAX_README_LINES}"


def test_the_readme_links_every_page_of_the_manual():
    linked = {target.partition("#")[0] for target in links(README.read_text())}
    assert sorted(name for name in PAGES if f"docs/{name}.md" not in linked) == []
    # A page of one system's details (docs/<page>-<topic>.md) may be linked from that page.
    unlinked = [p for p in DOCS.glob("*.md") if f"docs/{p.name}" not in linked]
    assert sorted(p.name for p in unlinked if p.name not in linked_from_its_page(p)) == []


def linked_from_its_page(page: Path) -> set[str]:
    """What the system page a details page hangs off (web.md for web-node.md) links to."""
    parent = page.with_name(page.stem.split("-")[0] + ".md")
    if parent == page or not parent.exists():
        return set()
    return {target.partition("#")[0] for target in links(parent.read_text())}


def test_the_readme_shows_the_architecture_picture_after_the_commands():
    text = README.read_text().splitlines()
    picture = next(
        (i for i, line in enumerate(text) if "](docs/architecture.svg)" in line and "![" in line),
        None,
    )
    assert picture is not None, "the README does not show docs/architecture.svg"
    assert picture >= max(
        i for i, line in enumerate(text[:FIRST_SCREEN]) if line.strip() == "$ make test"
    )


# --- every page ----------------------------------------------------------------------------


@pytest.mark.parametrize("page", markdown_files(), ids=lambda page: page.name)
def test_every_relative_link_resolves(page):
    assert broken_links(page, page.read_text()) == []


@pytest.mark.parametrize("page", markdown_files(), ids=lambda page: page.name)
def test_every_repository_path_named_exists(page):
    missing = [
        path
        for path in repository_paths(page.read_text())
        if path not in GENERATED and not (PROJECT_ROOT / path).exists()
    ]
    assert missing == []


# --- the architecture picture --------------------------------------------------------------


def test_the_diagram_was_rendered_from_the_committed_source():
    svg = DIAGRAM.read_text()
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    stamp = STAMP.search(svg)
    assert stamp, "docs/architecture.svg carries no source sha256: render it with `make docs`"
    source = hashlib.sha256(DIAGRAM_SOURCE.read_bytes()).hexdigest()
    assert stamp.group(1) == source, (
        "docs/architecture.svg was rendered from another docs/architecture.dot: run `make docs`"
    )


def test_the_diagram_names_only_existing_folders():
    named = re.findall(r"(?:components|policies)/[\w/]*(?:\.\w+)?", DIAGRAM_SOURCE.read_text())
    assert named, "the diagram names no folder"
    assert [path for path in named if not (PROJECT_ROOT / path).exists()] == []
