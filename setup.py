"""Maps the top-level folders onto one import namespace, ``centreon_canopsis``.

Everything else (metadata, dependencies, entry points) lives in pyproject.toml; this file only
exists because setuptools cannot rename found packages from pyproject.toml alone.
"""

from setuptools import find_packages, setup

NAMESPACE = "centreon_canopsis"
FOLDERS = ("core", "plugins", "schemas")

package_dir = {f"{NAMESPACE}.{folder}": folder for folder in FOLDERS}
packages = []
for folder in FOLDERS:
    packages.append(f"{NAMESPACE}.{folder}")
    packages += [f"{NAMESPACE}.{folder}.{sub}" for sub in find_packages(folder)]

setup(package_dir=package_dir, packages=packages)
