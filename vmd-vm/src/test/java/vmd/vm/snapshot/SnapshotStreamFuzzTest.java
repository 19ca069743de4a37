package vmd.vm.snapshot;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.util.List;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.sys.Fds;
import vmd.sys.Mman;

/**
 * Coverage-guided (Jazzer) snapshot streams, as a hostile or damaged file given to
 * {@code vmctl receive}: read from a memfd holding the bytes into a small guest's
 * memory, as a file snapshot (memory required) and as a migration's STATE record (none).
 * The contract: a stream is read whole or refused with a SnapshotException; any other
 * exception, an allocation past the stream's own size, or a hang is a finding. The seeds
 * are streams SnapshotWriter wrote (SnapshotStreamTest's shapes).
 */
class SnapshotStreamFuzzTest {
    private static final GuestMemory MEMORY = GuestMemory.create("snapshot-fuzz",
            List.of(new MemoryRegion(0, 256 << 10, 0), new MemoryRegion(1L << 32, 64 << 10, 256 << 10)));

    @FuzzTest(maxDuration = "30s")
    void streams(byte[] data) {
        for (boolean memoryRequired : new boolean[] {true, false}) {
            int fd = Mman.memfdCreate("snapshot-fuzz", Mman.MFD_CLOEXEC);
            try {
                ByteBuffer b = ByteBuffer.wrap(data);
                while (b.hasRemaining()) Fds.write(fd, b);
                vmd.sys.Native.libc().lseek(fd, 0, 0);
                StreamFd in = new StreamFd(fd);
                try {
                    SnapshotReader r = SnapshotReader.read(in, MEMORY, s -> {}, memoryRequired);
                    assertTrue(r.bytesRead() <= data.length, "read " + r.bytesRead() + " of " + data.length + " bytes");
                } catch (SnapshotException refused) {
                    // the contract
                }
            } finally {
                Fds.close(fd);
            }
        }
    }
}
