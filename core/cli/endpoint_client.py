"""How the commands that watch a running daemon (``tap``, ``top``) reach its HTTP endpoint."""

from __future__ import annotations

import urllib.request

from centreon_canopsis.core.config import Config


def opener(config: Config) -> urllib.request.OpenerDirector:
    """An opener for the daemon's endpoint: never through a proxy (it is local or next door)."""
    del config  # the endpoint's credentials, once it has some, come from here
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))
