package vmd.proc;

import java.util.ArrayList;
import java.util.List;

/**
 * Who a child runs as. The drop happens at exec time: the parent spawns util-linux's
 * setpriv(1), which switches to the unprivileged user and group, clears supplementary
 * groups and sets no_new_privs, then execs the JVM. So no child byte of Java ever runs
 * with root's credentials.
 */
public record Privileges(String user, String group) {
    public static final String DEFAULT_USER = "_vmd";
    static final String SETPRIV = "/usr/bin/setpriv";

    /** Keep the current credentials (only no_new_privs is set, by the child itself). */
    public static final Privileges UNCHANGED = new Privileges(null, null);

    public static Privileges of(String user) {
        return new Privileges(user, user);
    }

    public boolean drops() {
        return user != null;
    }

    /** The argv prefix that applies the drop before the JVM starts. */
    List<String> execPrefix() {
        if (!drops()) return List.of();
        List<String> argv = new ArrayList<>();
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
