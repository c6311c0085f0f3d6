"""A third-party event-type plugin, as a user would write one (see docs/plugins.md).

Centreon comments (``comment`` 1:2 in BBDO 2, ``pb_comment`` 1:35 in BBDO 3) become Canopsis
``comment`` events on the host or service. Settings come from ``[plugins.acme_comments]``.
"""

from centreon_canopsis.core.hookspecs import hookimpl
from centreon_canopsis.core.model import Payload
from centreon_canopsis.plugins.builtin.mapping import Mapping


class CommentsPlugin:
    @hookimpl
    def connector_config_schema(self):
        return {
            "acme_comments": {
                "type": "object",
                "properties": {"prefix": {"type": "string"}},
                "additionalProperties": False,
            }
        }

    @hookimpl
    def connector_configure(self, config, context):
        self.mapping = Mapping(config, context.cache)
        self.prefix = config.plugin_settings("acme_comments").get("prefix", "")

    @hookimpl
    def connector_transform(self, event, element, context):
        if element.kind != "comment" or event.get("deletion_time"):
            return None
        host = context.cache.host(event.get("host_id"))
        body = {
            "event_type": "comment",
            "connector": self.mapping.connector,
            "connector_name": self.mapping.connector_name(host),
            "component": self.mapping.host_name(event, host),
            "author": event.get("author", ""),
            "output": self.prefix + event.get("data", ""),
        }
        if event.get("service_id"):
            service = context.cache.service(event["host_id"], event["service_id"])
            body["resource"] = self.mapping.service_name(event, service)
        return [Payload("event", body, body["component"])]
