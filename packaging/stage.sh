# Shared by build-deb and build-rpm (sourced, not run): builds the wheel of the checkout and lays
# out the installed tree in a staging root, $STAGE, exactly as the package installs it.
#
# The virtual environment is created inside $STAGE/opt/centreon-canopsis and then made to work at
# /opt/centreon-canopsis: a venv embeds absolute paths (script shebangs, bin/python's target,
# pyvenv.cfg), so each is rewritten for the final location, and bytecode is compiled with the final
# paths. Its interpreter is the distribution's Python 3.11 ($TARGET_PYTHON): python3.11 on RHEL 8/9,
# python3 (3.11) on Debian 12. The venv is built with a Python of the same minor version.
set -euo pipefail

PACKAGING_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT_DIR="$(dirname "$PACKAGING_DIR")"
PREFIX=/opt/centreon-canopsis
NAME=centreon-canopsis
TARGET_PYTHON="${TARGET_PYTHON:-/usr/bin/python3.11}"
BUILD_PYTHON="${BUILD_PYTHON:-python3}"
OUT_DIR="${OUT_DIR:-$ROOT_DIR/dist}"

say() { echo "build: $*" >&2; }

stage_tree() {
    local stage="$1" work="$2"
    local target_minor build_minor
    target_minor="$(basename "$TARGET_PYTHON" | sed -n 's/^python\(3\.[0-9]*\)$/\1/p')"
    build_minor="$("$BUILD_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    if [ -z "$target_minor" ]; then target_minor=3.11; fi
    if [ "$build_minor" != "$target_minor" ]; then
        echo "build: $BUILD_PYTHON is Python $build_minor; the package targets $TARGET_PYTHON ($target_minor)." >&2
        echo "build: set BUILD_PYTHON to a Python $target_minor" >&2
        return 2
    fi
    VERSION="$("$BUILD_PYTHON" -c 'import tomllib,sys; print(tomllib.load(open(sys.argv[1],"rb"))["project"]["version"])' "$ROOT_DIR/pyproject.toml")"
    export VERSION

    say "wheel of $ROOT_DIR"
    local had_build=no
    [ -e "$ROOT_DIR/build" ] && had_build=yes
    "$BUILD_PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$work/wheel" "$ROOT_DIR" >&2
    [ "$had_build" = yes ] || rm -rf "$ROOT_DIR/build"  # setuptools' leftovers in the checkout
    local wheel
    wheel="$(ls "$work"/wheel/centreon_canopsis_connector-*.whl)"

    local venv="$stage$PREFIX"
    say "virtual environment in $venv (for $PREFIX, Python $TARGET_PYTHON)"
    "$BUILD_PYTHON" -m venv --clear "$venv"
    "$venv/bin/python" -m pip install --quiet --no-compile --disable-pip-version-check "$wheel" >&2
    "$venv/bin/python" -m pip uninstall --quiet --yes pip setuptools wheel >/dev/null 2>&1 || true
    rm -f "$venv"/bin/activate* "$venv"/bin/Activate.ps1 "$venv"/bin/pip*
    # Relocate: shebangs and the interpreter links point at the final paths.
    grep -rlI --null "$stage$PREFIX" "$venv/bin" | xargs -0 -r sed -i "s#$stage$PREFIX#$PREFIX#g"
    rm -f "$venv"/bin/python*
    ln -s "$TARGET_PYTHON" "$venv/bin/python$target_minor"
    ln -s "python$target_minor" "$venv/bin/python3"
    ln -s "python$target_minor" "$venv/bin/python"
    cat > "$venv/pyvenv.cfg" <<CFG
home = $(dirname "$TARGET_PYTHON")
include-system-site-packages = false
version = $target_minor
executable = $TARGET_PYTHON
CFG
    # The build paths must not survive anywhere in the tree.
    find "$venv" -name direct_url.json -delete
    find "$venv" -name RECORD -exec sed -i '/direct_url.json/d' {} +
    find "$venv" -name __pycache__ -type d -prune -exec rm -rf {} +
    "$BUILD_PYTHON" -m compileall -q -j 0 -s "$stage" -p / "$venv/lib" >/dev/null
    if grep -rlI "$stage" "$venv" >/dev/null; then
        echo "build: the staging path is still written in:" >&2
        grep -rlI "$stage" "$venv" >&2
        return 1
    fi

    install -d "$stage/usr/bin"
    ln -s "$PREFIX/bin/centreon-canopsis" "$stage/usr/bin/centreon-canopsis"
    install -D -m 0644 "$PACKAGING_DIR/files/centreon-canopsis.service" "$stage/usr/lib/systemd/system/$NAME.service"
    install -D -m 0644 "$PACKAGING_DIR/files/centreon-canopsis.sysusers" "$stage/usr/lib/sysusers.d/$NAME.conf"
    install -D -m 0644 "$PACKAGING_DIR/files/centreon-canopsis.tmpfiles" "$stage/usr/lib/tmpfiles.d/$NAME.conf"
    install -D -m 0644 "$PACKAGING_DIR/files/centreon-canopsis.logrotate" "$stage/etc/logrotate.d/$NAME"
    # Group centreon-canopsis is set at install time (the user does not exist on the build host).
    install -D -m 0640 "$PACKAGING_DIR/files/connector.toml" "$stage/etc/centreon-canopsis/connector.toml"
    install -D -m 0640 "$PACKAGING_DIR/files/authkey" "$stage/etc/centreon-canopsis/authkey"
    install -D -m 0644 "$ROOT_DIR/README.md" "$stage$PREFIX/share/doc/README.md"
    cp -r "$ROOT_DIR/docs" "$stage$PREFIX/share/doc/docs"
    install -d "$stage$PREFIX/share/monitoring"
    cp "$PACKAGING_DIR"/monitoring/*.json "$PACKAGING_DIR"/monitoring/*.yml "$stage$PREFIX/share/monitoring/"
    find "$stage" -path "$stage/etc" -prune -o -type f -exec chmod go-w {} +
}
