package vmd.proc;

import java.util.List;

/**
 * What to spawn: a process kind ("vm", "vioblk", "vionet", "control"), a name for logs
 * ("vm web", "vioblk web/disk0"), the main class, its arguments and its credentials.
 */
public record ChildSpec(String kind, String name, String mainClass, List<String> args, Privileges privileges) {
    public ChildSpec {
        args = List.copyOf(args);
    }
}
