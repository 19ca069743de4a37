package vmd.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class NativeCallsTest {

    /** jnr-ffi's asm stubs corrupt a sixth primitive argument; mmap's offset is the sixth. */
    @Test
    void mmapOffsetRoundTrips() throws IOException {
        int fd = Mman.memfdCreate("offset-test", Mman.MFD_CLOEXEC);
        try {
            Mman.ftruncate(fd, 3 * 4096);
            Path self = Path.of("/proc/self/fd/" + fd);
            byte[] marker = "third page".getBytes(StandardCharsets.US_ASCII);
            try (var ch = java.nio.channels.FileChannel.open(self, java.nio.file.StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(marker), 2 * 4096);
            }
            long addr = Mman.mmapShared(fd, 4096, 2 * 4096);
            byte[] seen = new byte[marker.length];
            java.lang.foreign.MemorySegment.copy(java.lang.foreign.MemorySegment.ofAddress(addr).reinterpret(seen.length), Native.U8, 0, seen, 0, seen.length);
            assertArrayEquals(marker, seen);
            Mman.munmap(addr, 4096);
        } finally {
            Fds.close(fd);
        }
    }

    @Test
    void failuresNameTheCallAndErrno() {
        NativeException e = assertThrows(NativeException.class, () -> Mman.mmapShared(9999, 4096, 0));
        assertEquals("mmap: EBADF (Bad file descriptor)", e.getMessage());
        NativeException e2 = assertThrows(NativeException.class, () -> Fds.close(9999));
        assertEquals("close", e2.call());
        assertEquals(9, e2.errno());
    }

    @Test
    void memfdSealsAreReported() {
        int fd = Mman.memfdCreate("seal-test", Mman.MFD_CLOEXEC | Mman.MFD_ALLOW_SEALING);
        try {
            Mman.ftruncate(fd, 4096);
            Mman.addSeals(fd, Mman.F_SEAL_GROW);
            assertEquals(Mman.F_SEAL_GROW, Mman.seals(fd));
            NativeException e = assertThrows(NativeException.class, () -> Mman.ftruncate(fd, 8192));
            assertEquals("ftruncate: EPERM (Operation not permitted)", e.getMessage());
        } finally {
            Fds.close(fd);
        }
    }

    @Test
    void eventfdCounts() {
        int fd = Fds.eventfd(Fds.EFD_CLOEXEC);
        try {
            Fds.eventfdSignal(fd);
            Fds.eventfdSignal(fd);
            assertEquals(2, Fds.eventfdRead(fd));
            assertTrue(Fds.isCloexec(fd));
        } finally {
            Fds.close(fd);
        }
    }

    @Test
    void directedSignalIsConsumedBySigtimedwait() throws Exception {
        int sig = Signals.sigrtmin() + 2;
        int[] got = new int[1];
        Thread t = new Thread(() -> {
            Signals.threadMask(Signals.SIG_BLOCK, Signals.setOf(sig));
            long self = Signals.pthreadSelf();
            Signals.pthreadKill(self, sig);
            got[0] = Signals.timedWait(Signals.setOf(sig), 1_000_000_000L);
        });
        t.start();
        t.join();
        assertEquals(sig, got[0]);
    }

    @Test
    void noNewPrivsIsSettable() throws Exception {
        // Only in a throwaway thread's view? no: the flag is per thread; set it on a fresh thread.
        boolean[] seen = new boolean[1];
        Thread t = new Thread(() -> {
            Prctl.setNoNewPrivs();
            seen[0] = Prctl.noNewPrivs();
        });
        t.start();
        t.join();
        assertTrue(seen[0]);
    }
}
