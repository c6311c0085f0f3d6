# Maintainer script fragments shared by the .deb and the .rpm (inserted by build-deb / build-rpm).

# @create_user@
create_user() {
    if getent passwd centreon-canopsis >/dev/null; then
        return 0
    fi
    if command -v systemd-sysusers >/dev/null 2>&1; then
        systemd-sysusers --inline \
            'u centreon-canopsis - "Centreon to Canopsis connector" /var/lib/centreon-canopsis /usr/sbin/nologin' \
            && getent passwd centreon-canopsis >/dev/null && return 0
    fi
    nologin=/usr/sbin/nologin
    [ -x "$nologin" ] || nologin=/sbin/nologin
    useradd --system --user-group --no-create-home --home-dir /var/lib/centreon-canopsis \
        --shell "$nologin" --comment "Centreon to Canopsis connector" centreon-canopsis
}

# @after_install@ (first argument: "upgrade" on an upgrade)
after_install() {
    create_user
    # The configuration is readable by the service's group, writable by root only. A file the
    # package manager (re)installed belongs to root:root; one an admin changed is left alone.
    for file in /etc/centreon-canopsis/connector.toml /etc/centreon-canopsis/authkey; do
        if [ -e "$file" ] && [ "$(stat -c %G "$file")" = root ]; then
            chgrp centreon-canopsis "$file" && chmod 0640 "$file"
        fi
    done
    if command -v systemd-tmpfiles >/dev/null 2>&1; then
        systemd-tmpfiles --create /usr/lib/tmpfiles.d/centreon-canopsis.conf || true
    else
        install -d -m 0700 -o centreon-canopsis -g centreon-canopsis /var/lib/centreon-canopsis
        install -d -m 0750 -o centreon-canopsis -g centreon-canopsis /var/log/centreon-canopsis
    fi
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload || true
        if [ "$1" = upgrade ]; then
            systemctl try-restart centreon-canopsis.service || true
        fi
    fi
}

# @before_remove@
before_remove() {
    if [ -d /run/systemd/system ]; then
        systemctl disable --now centreon-canopsis.service >/dev/null 2>&1 || true
    fi
}

# @after_remove@
after_remove() {
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload || true
    fi
}
