package vmd.imsg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import vmd.sys.Fds;
import vmd.sys.NativeException;

/** Descriptor helpers for tests: counting open fds, proving a descriptor was closed, raw frames. */
final class TestFds {
    private TestFds() {}

    /**
     * Open descriptors as "number -> target" from /proc/self/fd, for example
     * {@code "7 -> pipe:[123]"}, so a closed-and-reused number still shows as a change.
     */
    static Set<String> openFds() {
        Set<String> fds = new TreeSet<>();
        String[] names = new File("/proc/self/fd").list();
        if (names == null) return fds;
        for (String n : names) {
            try {
                fds.add(n + " -> " + Files.readSymbolicLink(Path.of("/proc/self/fd", n)));
            } catch (IOException e) {
                // closed meanwhile (the listing's own descriptor, or another thread's)
            }
        }
        return fds;
    }

    /**
     * Fails if a pipe, socket or eventfd is open now that was not open at {@code before}.
     * Only those kinds count: other threads of the JVM may open jars or close descriptors of
     * their own meanwhile, but every descriptor these tests pass around is one of those kinds.
     */
    static void assertNoNewFds(Set<String> before) {
        Set<String> leaked = new TreeSet<>(openFds());
        leaked.removeAll(before);
        leaked.removeIf(fd -> !(fd.contains("pipe:") || fd.contains("socket:") || fd.contains("anon_inode:")));
        assertEquals(Set.of(), leaked, "descriptor leak");
    }

    /**
     * True if every write end of the pipe whose read end is {@code readFd} is closed: a
     * non-blocking read then sees EOF instead of EAGAIN. This proves a passed or queued
     * descriptor was closed, independent of descriptor numbers being reused.
     */
    static boolean writersClosed(int readFd) {
        Fds.setNonBlocking(readFd, true);
        try {
            ByteBuffer b = ByteBuffer.allocateDirect(64);
            while (true) {
                b.clear();
                if (Fds.read(readFd, b) == 0) return true;
            }
        } catch (NativeException e) {
            assertEquals(11, e.errno(), "expected EAGAIN: " + e.getMessage());
            return false;
        }
    }

    static void write(int fd, String s) {
        ByteBuffer b = ByteBuffer.allocateDirect(s.length());
        b.put(s.getBytes(StandardCharsets.UTF_8)).flip();
        Fds.write(fd, b);
    }

    static String read(int fd, int max) {
        ByteBuffer b = ByteBuffer.allocateDirect(max);
        int n = Fds.read(fd, b);
        byte[] bytes = new byte[n];
        b.flip().get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** A frame with exactly the header fields given (which may lie) and {@code body} after it. */
    static ByteBuffer rawFrame(int type, int length, int flags, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(ImsgHeader.HEADER_SIZE + body.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(type).putShort((short) length).putShort((short) flags).putInt(0).putInt(0).put(body);
        return b.flip();
    }

    /** A well-formed header for {@code body}, with the given type code and flags. */
    static ByteBuffer rawFrame(int type, int flags, byte[] body) {
        return rawFrame(type, ImsgHeader.HEADER_SIZE + body.length, flags, body);
    }
}
