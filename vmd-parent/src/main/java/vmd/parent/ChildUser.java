package vmd.parent;

import vmd.sys.Native;

/**
 * The unprivileged user every child process runs as (vm.conf {@code user}, default
 * {@code _vmd}) must exist before vmd spawns anything: otherwise the first spawn fails
 * deep inside setpriv and the control channel, with nothing that says what is missing.
 */
final class ChildUser {
    private ChildUser() {}

    /**
     * Null if {@code user} is in the password database (looked up as setpriv will look it
     * up, through NSS), else one line that says so and how to create it.
     */
    static String missing(String user) {
        if (Native.posix().getpwnam(user) != null) return null;
        return "user " + user + " does not exist (create it with: useradd --system --no-create-home"
                + " --home-dir /var/empty --shell /usr/sbin/nologin " + user + ")";
    }
}
