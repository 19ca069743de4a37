package vmd.vm.snapshot;

import java.util.ArrayList;
import java.util.List;
import vmd.vm.snapshot.SnapshotFormat.Kind;
import vmd.vm.snapshot.SnapshotFormat.Section;

/** Collects a paused machine's sections, then writes the stream: header, table, state, memory last. */
public final class SnapshotWriter {
    private record Entry(Section section, byte[] payload) {}

    private final List<Entry> entries = new ArrayList<>();
    private MemoryImage memory;

    public SnapshotWriter add(Kind kind, int instance, byte[] payload) {
        if (kind == Kind.MEMORY) throw new IllegalArgumentException("memory goes through memory()");
        entries.add(new Entry(new Section(kind, instance, payload.length), payload));
        return this;
    }

    /** A device section: its name, then its state. */
    public SnapshotWriter device(int instance, String name, Snapshotted device) {
        StateWriter w = new StateWriter().string(name);
        device.saveState(w);
        return add(Kind.DEVICE, instance, w.toByteArray());
    }

    public SnapshotWriter memory(MemoryImage image) {
        this.memory = image;
        return this;
    }

    /** Writes everything; returns the bytes written. */
    public long writeTo(StreamFd out) {
        List<Section> table = new ArrayList<>();
        for (Entry e : entries) table.add(e.section);
        Section mem = memory == null ? null : new Section(Kind.MEMORY, 0, memory.length());
        if (mem != null) table.add(mem);
        long before = out.transferred();
        out.write(SnapshotFormat.header(table));
        for (Entry e : entries) {
            out.write(SnapshotFormat.sectionHeader(e.section));
            out.write(e.payload);
        }
        if (mem != null) {
            out.write(SnapshotFormat.sectionHeader(mem));
            memory.write(out);
        }
        return out.transferred() - before;
    }
}
