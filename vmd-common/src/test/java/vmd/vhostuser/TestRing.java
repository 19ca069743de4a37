package vmd.vhostuser;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import vmd.memory.GuestMemory;
import vmd.sys.Fds;
import vmd.sys.PollSet;
import vmd.virtio.DriverRing;
import vmd.virtio.VirtQueue;

/** Test helper acting as a virtio driver on a split ring in guest RAM (shared with vmd-vm's tests). */
public final class TestRing extends DriverRing {
    public TestRing(GuestMemory mem, int size, long desc, long avail, long used) {
        super(mem, size, desc, avail, used);
    }

    /** A two-descriptor chain at {@code head}: {@code in} readable at {@code buf}, {@code outLen} writable after it. */
    public void echoChain(int head, long buf, byte[] in, int outLen) {
        mem.write(buf, in);
        desc(head, buf, in.length, VirtQueue.DESC_F_NEXT, head + 1);
        desc(head + 1, buf + 0x800, outLen, VirtQueue.DESC_F_WRITE, 0);
    }

    /** Waits until an eventfd is signalled (and drains it). */
    public static boolean waitFor(int fd, int millis) {
        PollSet set = new PollSet();
        set.set(fd);
        long deadline = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < deadline) {
            if (set.poll(50) > 0 && Fds.eventfdDrain(fd) > 0) return true;
        }
        return false;
    }

    /** Polls {@code condition} until true or the time runs out. */
    public static boolean eventually(int millis, java.util.function.BooleanSupplier condition) {
        long deadline = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < deadline) {
            if (condition.getAsBoolean()) return true;
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return condition.getAsBoolean();
    }

    public static int openFds() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.count();
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }
}
