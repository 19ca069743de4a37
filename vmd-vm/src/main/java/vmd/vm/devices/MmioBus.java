package vmd.vm.devices;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes MMIO exits to devices. Ranges may be added and removed at run time (PCI BARs
 * move when the guest reprograms them). Unclaimed addresses read all ones.
 */
public final class MmioBus {
    private static final Logger log = LoggerFactory.getLogger(MmioBus.class);

    private record Range(long base, long length, MmioDevice device) {}

    private volatile TreeMap<Long, Range> ranges = new TreeMap<>();
    private final Map<Long, Boolean> reported = new ConcurrentHashMap<>();

    public synchronized void register(long base, long length, MmioDevice device) {
        TreeMap<Long, Range> next = new TreeMap<>(ranges);
        Map.Entry<Long, Range> below = next.floorEntry(base + length - 1);
        if (below != null && below.getValue().base() + below.getValue().length() > base) {
            throw new IllegalStateException(String.format("MMIO range 0x%x+0x%x overlaps 0x%x", base, length, below.getKey()));
        }
        next.put(base, new Range(base, length, device));
        ranges = next;
    }

    public synchronized void unregister(long base) {
        TreeMap<Long, Range> next = new TreeMap<>(ranges);
        next.remove(base);
        ranges = next;
    }

    private Range find(long address) {
        Map.Entry<Long, Range> e = ranges.floorEntry(address);
        if (e == null) return null;
        Range r = e.getValue();
        return address - r.base() < r.length() ? r : null;
    }

    public long read(long address, int size) {
        Range r = find(address);
        if (r == null) {
            unclaimed(address);
            return size == 8 ? -1L : (1L << (size * 8)) - 1;
        }
        return r.device().read(address, size);
    }

    public void write(long address, int size, long value) {
        Range r = find(address);
        if (r == null) {
            unclaimed(address);
            return;
        }
        r.device().write(address, size, value);
    }

    private void unclaimed(long address) {
        if (reported.size() < 1024 && reported.putIfAbsent(address, Boolean.TRUE) == null) {
            log.debug("unclaimed MMIO at 0x{}", Long.toHexString(address));
        }
    }
}
