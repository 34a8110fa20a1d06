"""Cold starts: each Lambda handler's import against `import flask, boto3, requests`.

Whole processes, as the runtime starts one: a fresh interpreter imports the handler module from
its extracted archive (boto3 and botocore importable, as in the Lambda runtime), and another
imports the yardstick `flask, boto3, requests`. Each of 10 pairs runs both, in alternating order
(interleaved, so drifts in machine load hit both alike); the figure is the median of the 10
per-pair ratios. Target: every handler at most 0.5x the yardstick. The archives' modules are
byte-compiled first, as the runtime's own libraries are, so the figure is import work.
"""

from __future__ import annotations

import compileall
import statistics
import tempfile
import time
import zipfile
from pathlib import Path

from bench.bench_packages import FUNCTIONS
from bench.common import report, run_python

PAIRS = 10
TARGET_RATIO = 0.5
YARDSTICK = "import flask, boto3, requests"
_BOTOCORE_CLIENTS = (
    "import botocore.session; session = botocore.session.get_session(); "
    "[session.create_client(name, region_name='us-east-1') for name in ('dynamodb', 'sns')]"
)
_MONITOR_APP = "import apig_wsgi, monitor.app"
# (function, handler module, what it is, what its first invocation imports and builds on top)
HANDLERS = (
    (
        "upload_processor",
        "uploads.handler",
        "upload processor",
        "import botocore.session; "
        "botocore.session.get_session().create_client('s3', region_name='us-east-1')",
    ),
    (
        "uptime_monitor",
        "monitor.http_handler",
        "monitor HTTP handler",
        f"{_MONITOR_APP}; {_BOTOCORE_CLIENTS}",
    ),
    ("uptime_monitor", "monitor.scheduled_handler", "monitor scheduled handler", _BOTOCORE_CLIENTS),
    ("queue_consumer", "consumer.handler", "queue consumer", ""),
    ("md5_api", "app", "md5 app", ""),
)


def process_seconds(code: str) -> float:
    start = time.perf_counter()
    run_python(["-c", code], isolated=True)
    return time.perf_counter() - start


def paired(handler_code: str) -> tuple[float, float, float]:
    """Median handler seconds, median yardstick seconds, median of the per-pair ratios."""
    handler_times, yardstick_times, ratios = [], [], []
    for pair in range(PAIRS):
        if pair % 2:
            yardstick = process_seconds(YARDSTICK)
            handler = process_seconds(handler_code)
        else:
            handler = process_seconds(handler_code)
            yardstick = process_seconds(YARDSTICK)
        handler_times.append(handler)
        yardstick_times.append(yardstick)
        ratios.append(handler / yardstick)
    return (
        statistics.median(handler_times),
        statistics.median(yardstick_times),
        statistics.median(ratios),
    )


def extracted(function_name: str, into: Path) -> Path:
    function = next(f for f in FUNCTIONS if f.name == function_name)
    directory = into / function_name
    if not directory.exists():
        zipfile.ZipFile(function.build().path).extractall(directory)
        compileall.compile_dir(directory, quiet=1)
    return directory


def main() -> str:
    process_seconds(YARDSTICK)  # warm the page cache and the venv's byte code
    rows = []
    with tempfile.TemporaryDirectory() as temporary:
        for function_name, module, label, first_use in HANDLERS:
            directory = extracted(function_name, Path(temporary))
            code = f"import sys; sys.path.insert(0, {str(directory)!r}); import {module}"
            process_seconds(code)  # warm-up, not counted
            handler, yardstick, ratio = paired(code)
            verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
            rows.append(
                (
                    f"{label} ({module}) / yardstick",
                    f"{ratio:.2f}x ({verdict}; {handler * 1000:.0f} ms vs {yardstick * 1000:.0f} ms)",
                )
            )
            if first_use:
                # For context, not the target: the import plus what the first invocation
                # imports and builds (its clients), which laziness moves, not removes.
                _, _, first_ratio = paired(f"{code}; {first_use}")
                rows.append(
                    (f"{label}: with its first invocation's imports", f"{first_ratio:.2f}x")
                )
    return report(
        f"Cold starts: handler import / `{YARDSTICK}` (whole processes, median of {PAIRS} pairs)",
        rows,
    )


if __name__ == "__main__":
    main()
