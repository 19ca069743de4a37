package vmd.proc;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.sys.Fds;
import vmd.sys.Spawn;
import vmd.sys.UnixSockets;

/**
 * Spawns child JVMs. Each child inherits exactly fds 0-2 and one end of a fresh
 * socketpair at fd 3; the parent keeps the other end.
 *
 * <p>A child's parent-death signal fires when the parent <em>thread</em> that spawned it
 * exits, so spawn only from long-lived threads (the parent's main or event thread).
 */
public final class ChildLauncher {
    public static final String ENV_PARENT_PID = "VMD_PARENT_PID";
    public static final String ENV_CHILD_NAME = "VMD_CHILD_NAME";
    private static final Logger log = LoggerFactory.getLogger(ChildLauncher.class);

    private final JvmCommand jvm;
    private final Reaper reaper;

    public ChildLauncher(JvmCommand jvm, Reaper reaper) {
        this.jvm = jvm;
        this.reaper = reaper;
    }

    public Child spawn(ChildSpec spec) {
        int[] pair = UnixSockets.streamPair();
        int parentEnd = pair[0];
        int childEnd = pair[1];
        try {
            List<String> argv = new ArrayList<>(spec.privileges().execPrefix());
            List<String> props = new ArrayList<>(List.of("-Dvmd.process=" + spec.name()));
            String level = System.getProperty("vmd.log.level");
            if (level != null) props.add("-Dvmd.log.level=" + level); // children log as verbosely as the parent
            props.add("-D" + ChildLog.UTC_OFFSET_PROPERTY + "=" + java.util.TimeZone.getDefault().getOffset(System.currentTimeMillis()) / 1000);
            argv.addAll(jvm.argv(spec.kind(), props, spec.mainClass(), spec.args()));
            List<String> env = List.of(
                    "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                    "LANG=C.UTF-8",
                    ENV_PARENT_PID + "=" + ProcessHandle.current().pid(),
                    ENV_CHILD_NAME + "=" + spec.name());
            int pid = Spawn.spawn(argv, env, childEnd);
            log.debug("spawned {} as pid {}", spec.name(), pid);
            Child child = new Child(spec, pid, parentEnd, new java.util.concurrent.CompletableFuture<>());
            reaper.watch(child);
            return child;
        } catch (RuntimeException e) {
            Fds.closeQuietly(parentEnd);
            throw e;
        } finally {
            Fds.closeQuietly(childEnd);
        }
    }
}
