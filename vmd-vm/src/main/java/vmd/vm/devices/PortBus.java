package vmd.vm.devices;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes port I/O exits to devices. Unclaimed ports behave as on a real PC: reads float
 * to all ones and writes vanish (guests probe legacy ports freely); each is logged once.
 */
public final class PortBus {
    private static final Logger log = LoggerFactory.getLogger(PortBus.class);

    private record Range(int base, int length, PortIoDevice device) {}

    private final TreeMap<Integer, Range> ranges = new TreeMap<>();
    private final Map<Integer, Boolean> reported = new ConcurrentHashMap<>();

    public synchronized void register(int base, int length, PortIoDevice device) {
        Map.Entry<Integer, Range> below = ranges.floorEntry(base + length - 1);
        if (below != null && below.getValue().base() + below.getValue().length() > base) {
            throw new IllegalStateException(String.format("port range 0x%x+%d overlaps 0x%x", base, length, below.getKey()));
        }
        ranges.put(base, new Range(base, length, device));
    }

    private Range find(int port) {
        Map.Entry<Integer, Range> e = ranges.floorEntry(port);
        if (e == null) return null;
        Range r = e.getValue();
        return port < r.base() + r.length() ? r : null;
    }

    public int read(int port, int size) {
        Range r = find(port);
        if (r == null) {
            unclaimed(port, "in");
            return (int) ((1L << (size * 8)) - 1);
        }
        return r.device().read(port, size);
    }

    public void write(int port, int size, int value) {
        Range r = find(port);
        if (r == null) {
            unclaimed(port, "out");
            return;
        }
        r.device().write(port, size, value);
    }

    private void unclaimed(int port, String dir) {
        if (reported.putIfAbsent(port, Boolean.TRUE) == null) {
            log.debug("unclaimed port 0x{} ({})", Integer.toHexString(port), dir);
        }
    }
}
