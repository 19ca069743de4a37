package vmd.proc;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.sys.Processes;
import vmd.sys.WaitStatus;

/**
 * Reaps children: one small daemon thread per child blocks in waitpid for exactly that
 * pid (never -1, which would steal statuses from anything else in the JVM), logs how
 * it ended and completes the child's exit future.
 */
public final class Reaper {
    private static final Logger log = LoggerFactory.getLogger(Reaper.class);

    void watch(Child child) {
        Thread t = new Thread(() -> {
            WaitStatus status = Processes.waitFor(child.pid());
            if (status.success()) {
                log.info("{} {}", child, status);
            } else {
                log.warn("{} {}", child, status);
            }
            child.exit().complete(status);
        }, "reaper-" + child.pid());
        t.setDaemon(true);
        t.start();
    }
}
