package vmd.vm.kvm;

import static vmd.sys.Native.U32;

import java.util.ArrayList;
import java.util.List;
import java.lang.foreign.MemorySegment;
import vmd.sys.Native;

/** struct kvm_cpuid2: the CPUID leaves a vCPU reports, editable before KVM_SET_CPUID2. */
public final class CpuidTable {
    static final int ENTRY_SIZE = 40;

    /** struct kvm_cpuid_entry2 without its padding. */
    public static final class Entry {
        public final int function, index, flags;
        public int eax, ebx, ecx, edx;

        Entry(int function, int index, int flags, int eax, int ebx, int ecx, int edx) {
            this.function = function;
            this.index = index;
            this.flags = flags;
            this.eax = eax;
            this.ebx = ebx;
            this.ecx = ecx;
            this.edx = edx;
        }
    }

    private final List<Entry> entries;

    private CpuidTable(List<Entry> entries) {
        this.entries = entries;
    }

    static CpuidTable read(MemorySegment p) {
        int n = p.get(U32, 0);
        List<Entry> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long o = 8 + (long) i * ENTRY_SIZE;
            list.add(new Entry(p.get(U32, o), p.get(U32, o + 4), p.get(U32, o + 8), p.get(U32, o + 12),
                    p.get(U32, o + 16), p.get(U32, o + 20), p.get(U32, o + 24)));
        }
        return new CpuidTable(list);
    }

    public CpuidTable copy() {
        List<Entry> list = new ArrayList<>();
        for (Entry e : entries) list.add(new Entry(e.function, e.index, e.flags, e.eax, e.ebx, e.ecx, e.edx));
        return new CpuidTable(list);
    }

    public List<Entry> entries() {
        return entries;
    }

    /** The first entry for {@code function} (and sub-leaf {@code index} where it matters). */
    public Entry find(int function, int index) {
        for (Entry e : entries) if (e.function == function && e.index == index) return e;
        for (Entry e : entries) if (e.function == function) return e;
        return null;
    }

    public void add(int function, int eax, int ebx, int ecx, int edx) {
        entries.removeIf(e -> e.function == function);
        entries.add(new Entry(function, 0, 0, eax, ebx, ecx, edx));
    }

    /** struct kvm_cpuid2 as bytes, for a snapshot. */
    public byte[] toBytes() {
        return toNative().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    /** Reads {@link #toBytes}'s format; throws IllegalArgumentException if it is not one. */
    public static CpuidTable fromBytes(byte[] b) {
        if (b.length < 8) throw new IllegalArgumentException("CPUID table of " + b.length + " bytes");
        MemorySegment p = Native.allocate(b.length);
        MemorySegment.copy(b, 0, p, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, b.length);
        int n = p.get(U32, 0);
        if (n < 0 || n > 1024 || 8L + (long) n * ENTRY_SIZE != b.length) throw new IllegalArgumentException("CPUID table of " + n + " entries in " + b.length + " bytes");
        return read(p);
    }

    MemorySegment toNative() {
        MemorySegment p = Native.allocate(8 + entries.size() * ENTRY_SIZE);
        p.set(U32, 0, entries.size());
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            long o = 8 + (long) i * ENTRY_SIZE;
            p.set(U32, o, e.function);
            p.set(U32, o + 4, e.index);
            p.set(U32, o + 8, e.flags);
            p.set(U32, o + 12, e.eax);
            p.set(U32, o + 16, e.ebx);
            p.set(U32, o + 20, e.ecx);
            p.set(U32, o + 24, e.edx);
        }
        return p;
    }
}
