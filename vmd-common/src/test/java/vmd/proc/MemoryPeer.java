package vmd.proc;

import java.util.List;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;

/** The device-process side of the shared-memory test: map what was received, answer in it. */
final class MemoryPeer {
    static final long MAGIC_GPA = 0x2000, ANSWER_GPA = 0x3000;
    static final long MAGIC = 0x5645_4D44_4D41_4749L, ANSWER = 0x414E_5357_4552_2121L;

    static String serve(int memfd, long size) {
        GuestMemory mem = GuestMemory.map(memfd, List.of(new MemoryRegion(0, size, 0)));
        long seen = mem.getLong(MAGIC_GPA);
        mem.putLong(ANSWER_GPA, ANSWER);
        return "mapped " + Long.toHexString(mem.hostAddress(0, size)) + " " + Long.toHexString(seen) + " " + mem.msealed();
    }

    private MemoryPeer() {}
}
