"""Lambda packages: archive sizes, and the cold import time of each handler module.

Cold import: a fresh interpreter imports the handler module from the extracted archive (with
botocore importable, as in the Lambda runtime); median of 10, minus the median of a bare
interpreter start. The archive's modules are byte-compiled once first (as the runtime's own
libraries are), so the figure is import work, not compilation. Sizes are of the archives
`pulumi up` would upload.
"""

from __future__ import annotations

import tempfile
import zipfile
from dataclasses import dataclass

from bench.common import PROJECT_ROOT, median_seconds, report, run_python
from components.lambdas.packaging import build_chalice_archive, build_function_archive
from components.lambdas.zips import Archive

REPEATS = 10
ZAPPA_PACKAGE_MIB = 5.1  # the notes' Zappa package for the uptime monitor
MIB = 1024 * 1024


@dataclass(frozen=True)
class Function:
    name: str
    handler_modules: tuple[str, ...]
    target_zipped_bytes: int
    # False for functions whose requirements.txt lists nothing (the runtime's boto3 only).
    vendored: bool = True

    def build(self) -> Archive:
        source = PROJECT_ROOT / "functions" / self.name
        if self.name == "md5_api":
            return build_chalice_archive(source)
        requirements = source / "requirements.txt" if self.vendored else None
        return build_function_archive(source, requirements=requirements)


FUNCTIONS = (
    Function("md5_api", ("app",), 100 * 1000),
    Function(
        "uptime_monitor",
        ("monitor.scheduled_handler", "monitor.http_handler"),
        int(1.5 * MIB),
    ),
    Function("queue_consumer", ("consumer.handler",), 20 * 1000, vendored=False),
    Function("upload_processor", ("uploads.handler",), 20 * 1000, vendored=False),
)


def cold_import_seconds(archive: Archive, module: str, bare_seconds: float) -> float:
    with tempfile.TemporaryDirectory() as directory:
        zipfile.ZipFile(archive.path).extractall(directory)
        code = f"import sys; sys.path.insert(0, {directory!r}); import {module}"
        return (
            median_seconds(lambda: run_python(["-c", code], isolated=True), REPEATS) - bare_seconds
        )


def main() -> str:
    bare = median_seconds(lambda: run_python(["-c", "pass"], isolated=True), REPEATS)
    rows = [(f"bare interpreter start (median of {REPEATS})", f"{bare * 1000:.1f} ms")]
    for function in FUNCTIONS:
        archive = function.build()
        size_verdict = "met" if archive.zipped_size <= function.target_zipped_bytes else "MISSED"
        rows += [
            (f"{function.name}: zipped", f"{archive.zipped_size / 1024:.1f} KiB ({size_verdict})"),
            (f"{function.name}: unzipped", f"{archive.unzipped_size / 1024:.1f} KiB"),
            (f"{function.name}: files", str(len(archive.names))),
        ]
        for module in function.handler_modules:
            imported = cold_import_seconds(archive, module, bare)
            verdict = "met" if imported <= 3 * bare else "MISSED"
            rows.append(
                (
                    f"{function.name}: import {module} (minus bare start)",
                    f"{imported * 1000:.1f} ms = {imported / bare:.1f}x bare ({verdict})",
                )
            )
    monitor_mib = FUNCTIONS[1].build().zipped_size / MIB
    rows.append(
        ("monitor vs the notes' Zappa package", f"{monitor_mib:.2f} MiB vs {ZAPPA_PACKAGE_MIB} MiB")
    )
    return report("Lambda packages", rows)


if __name__ == "__main__":
    main()
