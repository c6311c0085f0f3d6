"""Hook specifications: every point where a plugin can change what the connector does.

A plugin is a module or a class (instantiated once per pipeline) whose functions carry the
``@hookimpl`` marker and the name of a hook below. Builtin plugins are ordinary plugins, found
through the same ``centreon_canopsis`` entry-point group as third-party ones::

    # pyproject.toml of a plugin package
    [project.entry-points.centreon_canopsis]
    acme_comments = "acme_connector.comments:CommentsPlugin"

An implementation may accept any subset of a hook's arguments, so hooks can gain arguments
without breaking plugins. ``firstresult`` hooks stop at the first implementation that answers
something other than ``None``. Implementations marked ``tryfirst`` are asked first and
``trylast`` ones last; among the others, the plugin registered last is asked first. Third-party
plugins are registered after the builtins, so they are asked before them, and builtin defaults
are ``trylast`` so that any plugin can override them. ``centreon-canopsis plugins --hooks``
prints the order in which each hook asks its implementations.

The life of a pipeline:

1. start-up: :func:`connector_elements`, :func:`connector_config_schema` (collected once), then
   :func:`connector_configure` (no network), then :func:`connector_startup` (network allowed,
   must not block);
2. each event: the name cache sees it; with ``[[customers]]``, :func:`connector_customer` picks
   the customer whose plugin instances and settings run the next stages; then
   :func:`connector_accept` -> :func:`connector_transform` -> :func:`connector_route` for each
   payload -> the outbox;
3. the sender: :func:`connector_send` for each batch taken from the outbox;
4. :func:`connector_shutdown`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from centreon_canopsis.core.config import Config
    from centreon_canopsis.core.context import Context
    from centreon_canopsis.core.elements import Element
    from centreon_canopsis.core.model import Event, OutboxItem, Payload, Result, Route

PROJECT = "centreon_canopsis"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --------------------------------------------------------------------------------------------
# Registration and configuration
# --------------------------------------------------------------------------------------------


@hookspec
def connector_elements() -> Iterable[Element] | None:
    """Declare Broker event types this release does not know yet.

    Called once, before the configuration is checked, so that ``accepted_elements`` and format
    files may name the new types. Every Broker 22.10-24.10 element is already known; this is
    for types added by later Broker releases.

    :return: :class:`~centreon_canopsis.core.elements.Element` records, or None.
    """


@hookspec
def connector_config_schema() -> dict[str, dict[str, Any]] | None:
    """Declare the settings a plugin reads from its ``[plugins.<name>]`` table.

    Called once at start-up. The tables are validated against the schemas before anything
    starts; a ``[plugins.<name>]`` table that no plugin declares is an error.

    :return: ``{"<name>": <JSON Schema of the table>}``, or None.
    """


@hookspec
def connector_configure(config: Config, context: Context) -> None:
    """Read settings and prepare whatever can be computed once.

    Called once per pipeline, after the configuration was validated and the name cache loaded,
    before the first event. Do not use the network here (see :func:`connector_startup`); raise
    :class:`~centreon_canopsis.core.config.ConfigError` for settings that cannot work.

    :param config: the validated configuration, every default filled in.
    :param context: the pipeline's shared objects (cache, registry, metrics, outbox...).
    """


@hookspec
def connector_startup(context: Context) -> None:
    """The pipeline is about to process events and deliver them.

    Network look-ups belong here (the downtime plugin looks up its pbehavior reason and type).
    Must not block: start a thread for anything that can wait or retry. Payloads that need its
    answer wait in the outbox meanwhile (a sender answers RETRY until it is known). Not called
    by ``validate``.
    """


@hookspec
def connector_shutdown(context: Context) -> None:
    """The pipeline stops: release what :func:`connector_startup` took. Called once."""


# --------------------------------------------------------------------------------------------
# Each event: accept -> transform -> route
# --------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def connector_customer(event: Event, element: Element, context: Context) -> str | None:
    """Say which ``[[customers]]`` entry an event belongs to. Asked only when customers are set,
    for events of an element some customer or the top level accepts, after the name cache saw them.

    Stops at the first answer that is not None:

    - a customer's ``name``: the event goes through that customer's stages (its own plugin
      instances, configured with its settings: filters, mapping, format file, destination);
    - ``""``: no customer; the top-level settings apply, or the event is dropped with reason
      ``no_customer`` when ``unmatched = "drop"``;
    - a name no ``[[customers]]`` table declares: dropped with reason ``unknown_customer``.

    The builtin selector (``trylast``) answers from the tables' selectors, first match in file
    order; a plugin asked before it can choose from elsewhere (a CMDB, an inventory file).
    ``context`` is the top level's; ``context.customer`` of the next stages' context tells them
    which customer they serve.
    """


@hookspec(firstresult=True)
def connector_accept(event: Event, element: Element, context: Context) -> str | bool | None:
    """Decide whether an event goes on. Called for every event of an accepted category and
    element, after the name cache has seen it.

    Stops at the first answer that is not None:

    - ``None``: no objection, the next implementation is asked;
    - a non-empty string: the event is dropped; the string names the reason (it becomes the
      ``reason`` label of the dropped-events metric, so keep it short and stable, e.g.
      ``"hard_only"``);
    - ``False``: dropped, with the reason ``rejected``;
    - ``True``: accepted at once, later implementations are not asked (use it with
      ``tryfirst=True`` to let chosen events bypass the builtin filters).

    Builtin filters run in the order the Lua connector applies them. Dropped events are
    acknowledged to the source like delivered ones.

    :param event: the Broker event (a dict shaped like Broker's own JSON view of it).
    :param element: its type; ``element.kind`` is the generic name (``"service_status"``).
    """


@hookspec(firstresult=True)
def connector_transform(event: Event, element: Element, context: Context) -> Sequence[Payload] | None:
    """Turn an accepted event into the payloads Canopsis should receive.

    Stops at the first answer that is not None. Event-type plugins answer for the kinds they
    handle and None for the others; format files (``format_file``) answer before the builtin
    mappings. An empty sequence means "handled, nothing to send" (counted as dropped with
    reason ``no_payload``; veto in :func:`connector_accept` instead to give a precise reason).
    When nobody answers, the event is dropped with reason ``no_transform``.
    """


@hookspec(firstresult=True)
def connector_route(payload: Payload, context: Context) -> Route | None:
    """Say where a payload goes: the route (method, path, lane, batch size).

    Stops at the first answer that is not None. The builtin Canopsis routes answer for the
    builtin payload kinds from the ``canopsis_*_route`` parameters. A payload nobody routes is
    dead-lettered with reason ``no_route``.
    """


# --------------------------------------------------------------------------------------------
# Delivery
# --------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def connector_send(route: Route, items: Sequence[OutboxItem], context: Context) -> Sequence[Result] | None:
    """Deliver a batch of outbox items that share one route.

    Called by the sender thread with at most ``route.batch`` items, oldest first. Stops at the
    first answer that is not None; the builtin Canopsis HTTP sender is ``trylast``. Answer one
    :class:`~centreon_canopsis.core.model.Result` per item, in the same order: DELIVERED items
    leave the outbox, RETRY items stay (and block their lane until a later attempt succeeds),
    FAILED items become dead letters. An exception counts as RETRY for the whole batch.
    """
