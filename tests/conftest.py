"""Hypothesis profiles for the property tests.

``HYPOTHESIS_PROFILE`` names the profile to load. Without it, ``CI=true``
selects ``ci`` and anything else ``dev``:

- ``ci``: few examples and a fixed seed, so that CI runs the same cases
  every time and the property suite stays well under a minute on 2 cores.
- ``dev``: the default for local runs, with fresh random examples.
- ``deep``: many more examples, for a long search before a release, as in
  ``HYPOTHESIS_PROFILE=deep python -m pytest tests/test_properties.py``.

Every profile prints the reproduction blob of a failure
(``@reproduce_failure``), and the properties ``note()`` the failing problem
as a spec file.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# The exact engine's time per example varies with the size of its rationals,
# so a per-example deadline would fail on slow but correct cases.
_COMMON = settings(
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)

settings.register_profile("ci", _COMMON, max_examples=50, derandomize=True)
settings.register_profile("dev", _COMMON, max_examples=60)
settings.register_profile("deep", _COMMON, max_examples=2000)


def _profile_name() -> str:
    chosen = os.environ.get("HYPOTHESIS_PROFILE")
    if chosen:
        return chosen
    return "ci" if os.environ.get("CI") == "true" else "dev"


settings.load_profile(_profile_name())
