"""``centreon-canopsis plugins``: who answers what."""

from __future__ import annotations

import argparse

from centreon_canopsis.core import hookspecs
from centreon_canopsis.core.cli.common import add_config_argument, config_error, load_config
from centreon_canopsis.core.cli.exitcodes import FAILED, OK, USAGE
from centreon_canopsis.core.config import ConfigError
from centreon_canopsis.core.plugin_manager import PluginManager


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "plugins",
        help="list the installed plugins and the hooks they implement",
        description="Lists every plugin (builtin, installed, or loaded by the configuration), where "
        "it comes from and the hooks it implements. Exit code 1 if a plugin failed to load.",
    )
    add_config_argument(parser, required=False)
    parser.add_argument(
        "--hooks", action="store_true", help="also print, per hook, the order in which plugins are asked"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    disabled, extra = (), ()
    if args.config:
        try:
            config = load_config(args.config, log=False)
        except ConfigError as problem:
            config_error(problem)
            return USAGE
        disabled, extra = config.plugins.get("disable", ()), config.plugins.get("load", ())
    manager = PluginManager()
    manager.load(disabled=disabled, extra=extra)
    infos = sorted(manager.infos.values(), key=lambda info: (info.origin != "builtin", info.name))
    width = max(len(info.name) for info in infos)
    origin_width = max(len(info.origin) for info in infos)
    for info in infos:
        if info.disabled:
            state = "disabled"
        elif info.error:
            state = f"FAILED: {info.error}"
        else:
            state = ", ".join(info.hooks)
        print(f"{info.name:<{width}}  {info.origin:<{origin_width}}  {state}")
    if args.hooks:
        print()
        for name in sorted(n for n in dir(hookspecs) if n.startswith("connector_")):
            order = manager.implementations(name)
            shown = ", ".join(f"{plugin} ({flags})" if flags else plugin for plugin, flags in order) or "-"
            print(f"{name}: {shown}")
    return FAILED if any(info.error for info in infos) else OK
