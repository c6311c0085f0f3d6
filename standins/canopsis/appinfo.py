"""``GET /api/v4/app-info``: the flat object of canopsis-api.md section 5, keys per version."""

from __future__ import annotations

from typing import Any

from centreon_canopsis.standins.canopsis.versions import VersionProfile


def app_info(
    profile: VersionProfile,
    edition: str,
    maintenance: bool,
    version_updated: int,
    allow_change_severity_to_info: bool,
) -> dict[str, Any]:
    info: dict[str, Any] = {
        "app_title": "Canopsis",
        "footer": "",
        "login_page_description": "",
        "logo": "",
        "language": "en",
        "popup_timeout": {"info": {"value": 3, "unit": "s"}, "error": {"value": 3, "unit": "s"}},
        "allow_change_severity_to_info": allow_change_severity_to_info,
        "max_matched_items": 10000,
        "check_count_request_timeout": 30,
        "show_header_on_kiosk_mode": False,
        "required_instruction_approve": False,
        "timezone": "Europe/Paris",
        "file_upload_max_size": 314572800,
        "version": profile.full,
        "edition": edition,
        "stack": "go",
        "version_updated": version_updated,
        "login": {
            "basic": {"enable": True},
            "casconfig": {"enable": False, "title": ""},
            "ldapconfig": {"enable": False},
            "saml2config": {"enable": False, "title": ""},
            "oauth2config": {"enable": False},
        },
        "remediation": {"job_config_types": []},
    }
    if profile.at_least("23.04"):
        info["serial_name"] = ""
    if profile.at_least("23.10"):
        info["default_color_theme"] = {"_id": "canopsis", "name": "Canopsis"}
        info["maintenance"] = maintenance
        info["events_count_trigger_default_threshold"] = 10
    return info
