"""How the commands that watch a running daemon (``tap``, ``top``) reach its HTTP endpoint."""

from __future__ import annotations

import urllib.request

from centreon_canopsis.core.config import Config
from centreon_canopsis.core.endpoint_auth import EndpointAuth


def opener(config: Config) -> urllib.request.OpenerDirector:
    """An opener for the daemon's endpoint: never through a proxy (it is local or next door), with
    the endpoint's credentials when ``[metrics]`` has some (``auth_token``, ``auth_user``)."""
    client = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    authorization = EndpointAuth.from_config(config.metrics).header()
    if authorization:
        client.addheaders = [("Authorization", authorization)]
    return client
