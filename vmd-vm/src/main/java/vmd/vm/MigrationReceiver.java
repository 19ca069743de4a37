package vmd.vm;

import java.util.function.Consumer;
import vmd.memory.GuestMemory;
import vmd.memory.MappedRegion;
import vmd.vm.snapshot.MigrationStream;
import vmd.vm.snapshot.SnapshotException;
import vmd.vm.snapshot.SnapshotReader;
import vmd.vm.snapshot.StreamFd;

/**
 * The receiving side of a live migration: answers HELLO after {@code check} accepted the
 * machine's shape and CPUID, writes every PAGES record into guest memory as it comes,
 * and returns the STATE sections for the machine to restore. The machine answers STATE
 * itself, once the guest can run ({@link MigrationStream#writeAck}).
 */
final class MigrationReceiver {
    private MigrationReceiver() {}

    static SnapshotReader receive(StreamFd in, GuestMemory memory, Consumer<SnapshotReader> check) {
        MigrationStream.readVersion(in);
        int tag = MigrationStream.readTag(in);
        if (tag != MigrationStream.HELLO) throw new SnapshotException("migration stream starts with record " + tag + ", not HELLO");
        try {
            SnapshotReader.read(in, memory, check, false);
        } catch (SnapshotException e) {
            MigrationStream.writeAck(in, 1, e.getMessage());
            throw e;
        }
        MigrationStream.writeAck(in, 0, "");
        while (true) {
            tag = MigrationStream.readTag(in);
            switch (tag) {
                case MigrationStream.PAGES -> pages(in, memory);
                case MigrationStream.SYNC -> MigrationStream.writeAck(in, 0, "");
                case MigrationStream.STATE -> {
                    return SnapshotReader.read(in, memory, r -> {}, false);
                }
                default -> throw new SnapshotException("unknown migration record " + tag);
            }
        }
    }

    /** One run of pages, straight into the mapping; it must lie inside one RAM region. */
    private static void pages(StreamFd in, GuestMemory memory) {
        java.nio.ByteBuffer h = java.nio.ByteBuffer.wrap(in.read(12)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long gpa = h.getLong();
        int count = h.getInt();
        if (count < 1 || count > MigrationStream.MAX_RUN || (gpa & (MappedRegion.PAGE_SIZE - 1)) != 0) {
            throw new SnapshotException(String.format("migration pages at 0x%x, %d of them", gpa, count));
        }
        long length = count * MappedRegion.PAGE_SIZE;
        for (MappedRegion r : memory.regions()) {
            if (r.region().contains(gpa, length)) {
                in.read(r.hostAddress() + (gpa - r.region().guestAddress()), length);
                return;
            }
        }
        throw new SnapshotException(String.format("migration pages 0x%x+0x%x are outside guest RAM", gpa, length));
    }
}
