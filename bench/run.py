"""Run every benchmark, print its figures and record them in bench/RESULTS.md.

make bench        (or: .venv/bin/python -m bench.run)
"""

from __future__ import annotations

from bench import bench_cold_starts, bench_monitor, bench_packages, bench_plan, bench_policy
from bench.common import write_results

BENCHMARKS = (bench_policy, bench_plan, bench_packages, bench_cold_starts, bench_monitor)


def main() -> None:
    sections = []
    for number, benchmark in enumerate(BENCHMARKS, start=1):
        summary = (benchmark.__doc__ or benchmark.__name__).splitlines()[0]
        print(f"[{number}/{len(BENCHMARKS)}] {summary}", flush=True)
        sections.append(benchmark.main())
    write_results(sections, command="make bench")


if __name__ == "__main__":
    main()
