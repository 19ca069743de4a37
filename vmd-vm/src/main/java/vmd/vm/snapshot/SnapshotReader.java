package vmd.vm.snapshot;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import vmd.memory.GuestMemory;
import vmd.vm.snapshot.SnapshotFormat.Kind;
import vmd.vm.snapshot.SnapshotFormat.Section;

/**
 * Reads a whole stream: the state sections into memory, guest RAM straight into the
 * receiving VM's mapping. Nothing is applied here; the machine takes the sections it
 * knows by kind and instance, and a device section by its name.
 */
public final class SnapshotReader {
    private final Map<String, byte[]> state = new HashMap<>();
    private final Map<String, byte[]> devices = new LinkedHashMap<>();
    private long pagesRead;
    private long bytesRead;

    private SnapshotReader() {}

    /**
     * Reads the stream; {@code beforeMemory} sees the state sections first, so a stream
     * this VM cannot take is refused before its memory is read.
     */
    public static SnapshotReader read(StreamFd in, GuestMemory memory, java.util.function.Consumer<SnapshotReader> beforeMemory) {
        return read(in, memory, beforeMemory, true);
    }

    /**
     * With {@code memoryRequired} false, a stream without a MEMORY section is whole (a
     * live migration's HELLO and STATE: the pages travel in records of their own);
     * {@code beforeMemory} then runs at its end.
     */
    public static SnapshotReader read(StreamFd in, GuestMemory memory, java.util.function.Consumer<SnapshotReader> beforeMemory,
                                      boolean memoryRequired) {
        SnapshotReader r = new SnapshotReader();
        long start = in.transferred();
        List<Section> table = SnapshotFormat.readHeader(in);
        boolean sawMemory = false;
        for (Section s : table) {
            SnapshotFormat.readSectionHeader(in, s);
            if (s.kind() == Kind.MEMORY) {
                if (sawMemory) throw new SnapshotException("snapshot has two memory sections");
                sawMemory = true;
                beforeMemory.accept(r);
                r.pagesRead = MemoryImage.read(in, s.length(), memory);
                continue;
            }
            byte[] payload = in.read((int) s.length());
            if (s.kind() == Kind.DEVICE) {
                String name = new StateReader("device " + s.instance(), payload).string();
                if (r.devices.put(name, payload) != null) throw new SnapshotException("snapshot has device " + name + " twice");
            } else if (r.state.put(key(s.kind(), s.instance()), payload) != null) {
                throw new SnapshotException("snapshot has section " + s.kind() + " " + s.instance() + " twice");
            }
        }
        if (!sawMemory) {
            if (memoryRequired) throw new SnapshotException("snapshot has no memory section");
            beforeMemory.accept(r);
        }
        r.bytesRead = in.transferred() - start;
        return r;
    }

    private static String key(Kind kind, int instance) {
        return kind + "/" + instance;
    }

    /** The section, which must be there. */
    public StateReader section(Kind kind, int instance) {
        byte[] b = state.get(key(kind, instance));
        if (b == null) throw new SnapshotException("snapshot has no " + kind + " section " + instance);
        return new StateReader(kind.name().toLowerCase() + " " + instance, b);
    }

    /** Restores {@code device} from its section, which must be there. */
    public void restoreDevice(String name, Snapshotted device) {
        byte[] b = devices.remove(name);
        if (b == null) throw new SnapshotException("snapshot has no state for device " + name + " (is the VM configured the same?)");
        StateReader in = new StateReader("device " + name, b);
        in.string();
        device.restoreState(in);
        in.end();
    }

    /** Device sections nothing restored: the sending VM had hardware this one lacks. */
    public java.util.Set<String> unusedDevices() {
        return devices.keySet();
    }

    public long pagesRead() {
        return pagesRead;
    }

    public long bytesRead() {
        return bytesRead;
    }
}
