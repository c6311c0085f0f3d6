"""Only the optional C accelerator: everything else is in pyproject.toml.

``optional=True``: where it cannot be compiled (no compiler, no Python headers) the install goes
on without it and BBDO 3 is decoded by the pure-Python code it mirrors (core/bbdo/_pbflat.c).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("centreon_canopsis.core.bbdo._pbflat", ["core/bbdo/_pbflat.c"], optional=True),
    ]
)
