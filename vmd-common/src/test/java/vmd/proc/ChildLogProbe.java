package vmd.proc;

import org.slf4j.LoggerFactory;
import vmd.vhostuser.MemRegion;
import vmd.vhostuser.VringAddr;

/** Logs the lines a device child logs as its session starts, in a JVM of its own ({@link ChildLogTest}). */
public final class ChildLogProbe {
    private ChildLogProbe() {}

    public static void main(String[] args) {
        var log = LoggerFactory.getLogger(ChildLogProbe.class);
        log.info("probe: guest memory mapped: {}", java.util.List.of(new MemRegion(0, 0x10000000L, 0x7f0000000000L, 0)));
        log.debug("probe: {}", new VringAddr(0, 0, 0x1000, 0x2000, 0x3000, 0));
        log.info("probe: done after {} ms", 12);
    }
}
