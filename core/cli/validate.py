"""``centreon-canopsis validate``: check a configuration file without starting anything."""

from __future__ import annotations

import argparse

import orjson

from centreon_canopsis.core.cli.common import add_config_argument, config_error
from centreon_canopsis.core.cli.exitcodes import OK, USAGE
from centreon_canopsis.core.config import ConfigError
from centreon_canopsis.core.customers import customer_config
from centreon_canopsis.core.validation import check_file


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check a configuration file (every problem at once) and exit",
        description="Validates the configuration and the plugins' settings; uses no network and "
        "writes nothing. Exit code 0 when valid, 2 otherwise.",
    )
    add_config_argument(parser)
    parser.add_argument(
        "--show", action="store_true", help="print every setting, defaults included (secrets masked)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    checked = check_file(args.config)
    for warning in checked.warnings:
        print(f"warning: {warning}")
    if checked.errors or checked.config is None or checked.context is None:
        config_error(ConfigError(checked.errors, args.config))
        return USAGE
    config, context = checked.config, checked.context
    if args.show:
        print(orjson.dumps(config.as_dict(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode())
    source = config.source
    where = (
        source["path"] if source["type"] == "jsonl" else f"{source['mode']} {source['host']}:{source['port']}"
    )
    plugins = sorted(name for name, info in context.plugins.infos.items() if info.plugin is not None)
    print(f"configuration {args.config} is valid")
    print(f"  Canopsis: {config.sending_protocol}://{config.canopsis_host}:{config.canopsis_port}")
    print(f"  source:   {source['type']} {where}")
    print(f"  elements: {config.accepted_elements} (categories {config.accepted_categories})")
    print(f"  state:    {config.state_dir}")
    print(f"  plugins:  {', '.join(plugins)}")
    for customer in config.get("customers") or ():  # where each [[customers]] entry delivers
        own = customer_config(config, customer)
        print(
            f"  customer {customer['name']}: {own.sending_protocol}://{own.canopsis_host}:{own.canopsis_port}"
        )
    return OK
