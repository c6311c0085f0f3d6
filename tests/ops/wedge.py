"""A plugin that blocks the pipeline's loop forever on an event whose output is WEDGE (tests only)."""

from __future__ import annotations

import threading
from pathlib import Path

from centreon_canopsis.core.hookspecs import hookimpl


class Wedge:
    @hookimpl
    def connector_configure(self, config, context) -> None:
        self.marker = Path(config.state_dir).parent / "wedge-entered"

    @hookimpl(tryfirst=True)
    def connector_accept(self, event, element, context):
        if event.get("output") == "WEDGE":
            self.marker.write_text("")
            threading.Event().wait()  # stuck, as a plugin waiting on a dead socket would be
        return None
