"""The Hypothesis profile of the fuzz tests: how many cases each target gets.

`make test` runs the default: a few hundred cases per target, derandomized (the same cases on
every run, nothing written to `.hypothesis/`), so a red `make test` is reproducible. `make fuzz`
sets BIOLAKE_FUZZ_EXAMPLES=10000: the cases are then random on each run, and a failing one is
kept in `.hypothesis/` (gitignored) and replayed first next time.

Neither profile has a wall-clock deadline: a busy machine inflates wall time (a 10,000-case run
once failed the guard on a case that took 1.7 s under load and 0.13 s again). Both check the
reader's own CPU time (`within_a_second`), which another process cannot inflate: that is what
catches a reader whose cost explodes on some input.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

DEFAULT_EXAMPLES = 300
_requested = os.environ.get("BIOLAKE_FUZZ_EXAMPLES", "").strip()

_COMMON = {
    # the structure-aware strategies build whole files; generating one may take a while
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,  # a failure prints the @reproduce_failure line that replays it
}
settings.register_profile(
    "biolake-fuzz-test", max_examples=DEFAULT_EXAMPLES, derandomize=True, database=None, deadline=None,
    **_COMMON
)
settings.register_profile(
    "biolake-fuzz", max_examples=int(_requested or DEFAULT_EXAMPLES), deadline=None, **_COMMON
)
settings.load_profile("biolake-fuzz" if _requested else "biolake-fuzz-test")
