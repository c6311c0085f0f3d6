"""Only the optional C accelerators (the BBDO path, the name cache's handlers): everything
else is in pyproject.toml.

``optional=True``: where they cannot be compiled (no compiler, no Python headers) the install goes
on without them and the pure-Python code they mirror runs (core/bbdo/accel.py).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("centreon_canopsis.core.bbdo._pbflat", ["core/bbdo/_pbflat.c"], optional=True),
        Extension("centreon_canopsis.core.bbdo._framing", ["core/bbdo/_framing.c"], optional=True),
        Extension(
            "centreon_canopsis.core._speedups",
            ["core/_speedups.c", "core/_cache_learn.c"],
            depends=["core/_speedups.h"],
            optional=True,
        ),
    ]
)
