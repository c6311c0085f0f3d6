"""BBDO 2 ("mapped") field tables, in wire order (reference/bbdo.md 3.2, bbdo_fields.json).

One line per field on the wire: ``name type [flag]``.

* ``name`` is what Broker's Lua API shows; ``@name`` marks a wire-only field (on the wire, not
  shown to Lua; the JSON-lines form carries it under that name); ``-member`` marks an unnamed
  trailing field that nobody ever sees (decoded and dropped, encoded with its default).
* ``type``: bool (1 byte), short (2), int/uint (4), time (8, signed, -1 = null), ulong (8),
  double (``%f`` text + NUL), string (bytes + NUL).
* ``flag``: ``z`` = absent from the event when 0, ``m`` = absent when -1.

Members with serialize=false (host_status ``next_notification``) are simply not listed. The tables
are identical on Broker 22.04 ... 24.10 and develop.
"""

from __future__ import annotations

#: (category, element) -> (name, spec)
MAPPED_EVENTS: dict[tuple[int, int], tuple[str, str]] = {
    (1, 14): (
        "host_status",
        """
        acknowledged bool
        acknowledgement_type short
        active_checks bool
        check_interval double
        check_period string
        check_type short
        check_attempt short
        state short
        scheduled_downtime_depth short
        enabled bool
        event_handler string
        event_handler_enabled bool
        execution_time double
        flap_detection bool
        checked bool
        host_id uint z
        flapping bool
        last_check time z
        last_hard_state short
        last_hard_state_change time z
        last_notification time z
        last_state_change time z
        last_time_down time z
        last_time_unreachable time z
        last_time_up time z
        last_update time z
        latency double
        max_check_attempts short
        next_check time z
        no_more_notifications bool
        notification_number short
        notify bool
        obsess_over_host bool
        passive_checks bool
        percent_state_change double
        retry_interval double
        should_be_scheduled bool
        state_type short
        check_command string
        output string
        perfdata string
        """,
    ),
    (1, 24): (
        "service_status",
        """
        acknowledged bool
        acknowledgement_type short
        active_checks bool
        check_interval double
        check_period string
        check_type short
        check_attempt short
        state short
        scheduled_downtime_depth short
        enabled bool
        event_handler string
        event_handler_enabled bool
        execution_time double
        flap_detection bool
        checked bool
        host_id uint z
        @host_name string
        flapping bool
        last_check time z
        last_hard_state short
        last_hard_state_change time z
        last_notification time z
        last_state_change time z
        last_time_critical time z
        last_time_ok time z
        last_time_unknown time z
        last_time_warning time z
        last_update time z
        latency double
        max_check_attempts short
        next_check time z
        next_notification time z
        no_more_notifications bool
        notification_number short
        notify bool
        obsess_over_service bool
        passive_checks bool
        percent_state_change double
        retry_interval double
        @service_description string
        service_id uint z
        should_be_scheduled bool
        state_type short
        check_command string
        output string
        perfdata string
        """,
    ),
    (1, 1): (
        "acknowledgement",
        """
        type short
        author string
        comment_data string
        deletion_time time m
        entry_time time m
        host_id uint z
        instance_id uint z
        sticky bool
        notify_contacts bool
        persistent_comment bool
        service_id uint z
        state short
        -notify_only_if_not_already_acknowledged bool
        """,
    ),
    (1, 5): (
        "downtime",
        """
        actual_end_time time m
        actual_start_time time m
        author string
        type short
        deletion_time time m
        duration time
        end_time time m
        entry_time time m
        fixed bool
        host_id uint z
        instance_id uint z
        internal_id uint
        service_id uint z
        start_time time m
        triggered_by uint z
        cancelled bool
        started bool
        comment_data string
        -come_from short
        """,
    ),
    (1, 12): (
        "host",
        """
        acknowledged bool
        acknowledgement_type short
        action_url string
        active_checks bool
        address string
        alias string
        check_freshness bool
        check_interval double
        check_period string
        check_type short
        check_attempt short
        state short
        default_active_checks bool
        default_event_handler_enabled bool
        default_flap_detection bool
        default_notify bool
        default_passive_checks bool
        scheduled_downtime_depth short
        display_name string
        enabled bool
        event_handler string
        event_handler_enabled bool
        execution_time double
        first_notification_delay double
        flap_detection bool
        flap_detection_on_down bool
        flap_detection_on_unreachable bool
        flap_detection_on_up bool
        freshness_threshold double
        checked bool
        high_flap_threshold double
        name string
        host_id uint z
        icon_image string
        icon_image_alt string
        instance_id uint z
        flapping bool
        last_check time z
        last_hard_state short
        last_hard_state_change time z
        last_notification time z
        last_state_change time z
        last_time_down time z
        last_time_unreachable time z
        last_time_up time z
        last_update time z
        latency double
        low_flap_threshold double
        max_check_attempts short
        next_check time z
        next_host_notification time z
        no_more_notifications bool
        notes string
        notes_url string
        notification_interval double
        notification_number short
        notification_period string
        notify bool
        notify_on_down bool
        notify_on_downtime bool
        notify_on_flapping bool
        notify_on_recovery bool
        notify_on_unreachable bool
        obsess_over_host bool
        passive_checks bool
        percent_state_change double
        retry_interval double
        should_be_scheduled bool
        stalk_on_down bool
        stalk_on_unreachable bool
        stalk_on_up bool
        statusmap_image string
        state_type short
        check_command string
        output string
        perfdata string
        retain_nonstatus_information bool
        retain_status_information bool
        timezone string
        """,
    ),
    (1, 23): (
        "service",
        """
        acknowledged bool
        acknowledgement_type short
        action_url string
        active_checks bool
        check_freshness bool
        check_interval double
        check_period string
        check_type short
        check_attempt short
        state short
        default_active_checks bool
        default_event_handler_enabled bool
        default_flap_detection bool
        default_notify bool
        default_passive_checks bool
        scheduled_downtime_depth short
        display_name string
        enabled bool
        event_handler string
        event_handler_enabled bool
        execution_time double
        first_notification_delay double
        flap_detection bool
        flap_detection_on_critical bool
        flap_detection_on_ok bool
        flap_detection_on_unknown bool
        flap_detection_on_warning bool
        freshness_threshold double
        checked bool
        high_flap_threshold double
        host_id uint z
        @host_name string
        icon_image string
        icon_image_alt string
        service_id uint z
        flapping bool
        volatile bool
        last_check time z
        last_hard_state short
        last_hard_state_change time z
        last_notification time z
        last_state_change time z
        last_time_critical time z
        last_time_ok time z
        last_time_unknown time z
        last_time_warning time z
        last_update time z
        latency double
        low_flap_threshold double
        max_check_attempts short
        next_check time z
        next_notification time z
        no_more_notifications bool
        notes string
        notes_url string
        notification_interval double
        notification_number short
        notification_period string
        notify bool
        notify_on_critical bool
        notify_on_downtime bool
        notify_on_flapping bool
        notify_on_recovery bool
        notify_on_unknown bool
        notify_on_warning bool
        obsess_over_service bool
        passive_checks bool
        percent_state_change double
        retry_interval double
        description string
        should_be_scheduled bool
        stalk_on_critical bool
        stalk_on_ok bool
        stalk_on_unknown bool
        stalk_on_warning bool
        state_type short
        check_command string
        output string
        perfdata string
        retain_nonstatus_information bool
        retain_status_information bool
        """,
    ),
    (1, 10): (
        "host_group",
        """
        hostgroup_id uint z
        name string
        @enabled bool
        @poller_id uint
        """,
    ),
    (1, 11): (
        "host_group_member",
        """
        hostgroup_id uint z
        host_id uint z
        @enabled bool
        @group_name string
        @poller_id uint
        """,
    ),
    (1, 21): (
        "service_group",
        """
        servicegroup_id uint z
        name string
        @enabled bool
        @poller_id uint
        """,
    ),
    (1, 22): (
        "service_group_member",
        """
        servicegroup_id uint z
        host_id uint z
        service_id uint z
        @enabled bool
        @group_name string
        @poller_id uint
        """,
    ),
    (1, 15): (
        "instance",
        """
        engine string
        instance_id uint z
        name string
        running bool
        pid uint
        end_time time m
        start_time time m
        version string
        """,
    ),
    (1, 3): (
        "custom_variable",
        """
        @enabled bool
        host_id uint z
        modified bool
        name string
        service_id uint z
        update_time time m
        type short
        value string
        default_value string
        """,
    ),
    (6, 1): (
        "ba_status",
        """
        ba_id uint
        in_downtime bool
        last_state_change time
        level_acknowledgement double
        level_downtime double
        level_nominal double
        state short
        state_changed bool
        """,
    ),
    # Not in bbdo_fields.json, but emitted by a 22.10 Broker or a BBDO 2 Engine: instance_status
    # (bbdo.md 3.2) and the BBDO 2 forms of the BAM dimension events that name BAs and BVs on 22.10
    # (same fields in the same order as their protobuf twins, bbdo.md 4.4).
    (1, 16): (
        "instance_status",
        """
        active_host_checks bool
        active_service_checks bool
        check_hosts_freshness bool
        check_services_freshness bool
        event_handlers bool
        flap_detection bool
        instance_id uint z
        last_alive time
        last_command_check time
        notifications bool
        obsess_over_hosts bool
        obsess_over_services bool
        passive_host_checks bool
        passive_service_checks bool
        global_host_event_handler string
        global_service_event_handler string
        """,
    ),
    (6, 7): (
        "dimension_ba_event",
        """
        ba_id uint
        ba_name string
        ba_description string
        sla_month_percent_crit double
        sla_month_percent_warn double
        sla_duration_crit uint
        sla_duration_warn uint
        """,
    ),
    (6, 9): (
        "dimension_ba_bv_relation_event",
        """
        ba_id uint
        bv_id uint
        """,
    ),
    (6, 10): (
        "dimension_bv_event",
        """
        bv_id uint
        bv_name string
        bv_description string
        """,
    ),
    (6, 11): (
        "dimension_truncate_table_signal",
        """
        update_started bool
        """,
    ),
    (2, 1): (
        "version_response",
        """
        major short
        minor short
        patch short
        extensions string
        """,
    ),
    (2, 2): (
        "ack",
        """
        acknowledged_events uint
        """,
    ),
    (2, 3): ("stop", ""),
}
