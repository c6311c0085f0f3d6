"""What every hook receives as ``context``: the objects one pipeline shares."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from centreon_canopsis.core.cache import Cache
    from centreon_canopsis.core.config import Config
    from centreon_canopsis.core.elements import ElementRegistry
    from centreon_canopsis.core.metrics import Metrics
    from centreon_canopsis.core.plugin_manager import PluginManager


@dataclass(eq=False)
class Context:
    """Shared by the stages of one pipeline.

    ``state`` is a scratch space plugins share by name (the downtime plugin publishes the
    pbehavior reason and type ids there; the sender reads them). ``stopping`` is set when the
    pipeline shuts down: background threads of plugins watch it.
    """

    config: Config
    registry: ElementRegistry
    cache: Cache
    metrics: Metrics
    plugins: PluginManager
    state: dict[str, Any] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)
    #: The ``[[customers]]`` name this context serves ("" at the top level: one context per customer).
    customer: str = ""
    #: The top level's :class:`~centreon_canopsis.core.customer_scopes.Customers`, when any are set.
    customers: Any = None

    @property
    def hook(self):
        return self.plugins.hook
