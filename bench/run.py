"""Run every benchmark, print its figures and record them in bench/RESULTS.md.

make bench        (or: .venv/bin/python -m bench.run)
"""

from __future__ import annotations

from bench import bench_monitor, bench_packages, bench_plan, bench_policy
from bench.common import write_results

BENCHMARKS = (bench_policy, bench_plan, bench_packages, bench_monitor)


def main() -> None:
    write_results([benchmark.main() for benchmark in BENCHMARKS], command="make bench")


if __name__ == "__main__":
    main()
