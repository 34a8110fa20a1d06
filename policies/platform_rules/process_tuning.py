"""Settings of the pack's own process, applied when `__main__.py` imports this module.

AnalyzeStack hands every stack policy the whole stack, decoded afresh for each policy: tens of
thousands of short-lived dicts and lists on a large stack. With CPython's default thresholds
they trigger full garbage collections over everything alive, so the call grew faster than the
stack. Rarer young-generation collections keep it linear: on 10,000 resources 1.01 ms per
resource before, 0.86 ms after (bench/bench_policy.py, bench/RESULTS.md).
"""

import gc

YOUNG_GENERATION_THRESHOLD = 200_000

gc.set_threshold(YOUNG_GENERATION_THRESHOLD, 50, 100)
