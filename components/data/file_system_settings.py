"""The file-system section of the stack config: `FileSystem`'s Args (without the wiring)."""

from __future__ import annotations

from components.config.reader import Reader
from components.data.file_system import EFS_PERFORMANCE_MODES, EFS_THROUGHPUT_MODES, FileSystemArgs

KEYS = ("efsPerformanceMode", "efsThroughputMode")


def parse(reader: Reader) -> FileSystemArgs:
    defaults = FileSystemArgs()
    performance = reader.choice(
        "efsPerformanceMode", defaults.performance_mode, EFS_PERFORMANCE_MODES
    )
    throughput = reader.choice("efsThroughputMode", defaults.throughput_mode, EFS_THROUGHPUT_MODES)
    if performance == "maxIO" and throughput == "elastic":
        reader.problem(
            "efsPerformanceMode", performance, "is not available with efsThroughputMode elastic"
        )
        return defaults
    return FileSystemArgs(performance_mode=performance, throughput_mode=throughput)
