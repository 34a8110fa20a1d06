"""The pull request comment tools/review/comment.py writes for the workflow_run commenter."""

from __future__ import annotations

from tools.review.comment import MARKER, MAX_COMMENT_CHARS, StackReview, comment

PLAN = """Offline plan (update, mocked AWS): project platform, stack dev
 ~   ├─ aws:lambda/function:Function  f  update  [diff: ~environment]
         ~ environment.variables.SITES[2]: "https://example.org"

Resources: + 0 to create, ~ 1 to update, - 0 to delete, 109 unchanged

  Total                                        $54.71
  Change against the base: $54.71 => $54.71 (+$0.00)

0 mandatory violations"""


def test_the_comment_starts_with_its_marker_and_summarises_each_stack():
    body = comment([StackReview("dev", 0, PLAN), StackReview("prod", 1, PLAN)], "origin/main")
    assert body.startswith(MARKER + "\n")
    assert "**dev**: passes" in body and "**prod**: mandatory policy violation" in body
    assert "- `Resources: + 0 to create, ~ 1 to update, - 0 to delete, 109 unchanged`" in body
    assert "- `Total $54.71`" in body
    assert "- `Change against the base: $54.71 => $54.71 (+$0.00)`" in body
    assert 'environment.variables.SITES[2]: "https://example.org"' in body


def test_backticks_in_a_plan_cannot_close_its_code_block():
    body = comment([StackReview("dev", 0, "value: ```` `\n")], "origin/main")
    assert "`````text\nvalue: ```` `\n" in body


def test_the_comment_stays_under_githubs_limit():
    huge = "x" * (MAX_COMMENT_CHARS * 2)
    body = comment([StackReview("dev", 0, huge), StackReview("prod", 0, huge)], "origin/main")
    assert len(body) <= MAX_COMMENT_CHARS
    assert body.count("(cut: run the command locally for the rest)") == 2
