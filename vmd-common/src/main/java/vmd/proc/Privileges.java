package vmd.proc;

import java.util.ArrayList;
import java.util.List;

/**
 * Who a child runs as, and in which fresh namespaces. Both are applied at exec time: the
 * parent spawns util-linux's unshare(1) for the namespaces, which execs setpriv(1), which
 * switches to the unprivileged user and group, clears supplementary groups and capabilities
 * and sets no_new_privs, then execs the JVM. So no child byte of Java ever runs with
 * root's credentials, and a device that needs no network never sees one.
 *
 * @param namespaces unshare(1) long options without dashes: "net", "ipc", "uts", "mount"
 */
public record Privileges(String user, String group, List<String> namespaces) {
    public static final String DEFAULT_USER = "_vmd";
    static final String SETPRIV = "/usr/bin/setpriv";
    static final String UNSHARE = "/usr/bin/unshare";
    /** A device process's sandbox: no network interfaces, its own IPC, hostname and mount table. */
    public static final List<String> DEVICE_NAMESPACES = List.of("net", "ipc", "uts", "mount");

    /** Keep the current credentials (only no_new_privs is set, by the child itself). */
    public static final Privileges UNCHANGED = new Privileges(null, null, List.of());

    public Privileges {
        namespaces = List.copyOf(namespaces);
    }

    public Privileges(String user, String group) {
        this(user, group, List.of());
    }

    /** {@code user} with its primary group from the password database (its name if it has none there). */
    public static Privileges of(String user) {
        jnr.posix.Passwd pw = vmd.sys.Native.posix().getpwnam(user);
        return new Privileges(user, pw != null ? Long.toString(pw.getGID()) : user);
    }

    public Privileges withNamespaces(List<String> ns) {
        return new Privileges(user, group, ns);
    }

    public boolean drops() {
        return user != null;
    }

    /** The argv prefix that applies the namespaces and the drop before the JVM starts. */
    List<String> execPrefix() {
        List<String> argv = new ArrayList<>();
        if (!namespaces.isEmpty()) {
            argv.add(UNSHARE);
            for (String ns : namespaces) argv.add("--" + ns);
            if (namespaces.contains("mount")) argv.add("--propagation=private");
            argv.add("--");
        }
        if (!drops()) return argv;
        argv.add(SETPRIV);
        argv.add("--reuid=" + user);
        argv.add("--regid=" + group);
        argv.add("--clear-groups");
        argv.add("--no-new-privs");
        argv.add("--inh-caps=-all");
        argv.add("--bounding-set=-all");
        argv.add("--");
        return argv;
    }
}
