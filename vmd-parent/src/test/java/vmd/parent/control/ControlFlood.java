package vmd.parent.control;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import vmd.imsg.ImsgType;
import vmd.sys.Fds;
import vmd.sys.UnixSockets;
import vmd.vhostuser.UnixListener;

/**
 * Abusive control-socket clients for tests: threads that together open a fixed number of
 * connections, each of which does one bad thing (see {@link Abuse}) and goes away. Some
 * connections are held open for a while (half frames, silence), up to more than the
 * server's client limit, so slots run out while the flood lasts.
 */
final class ControlFlood {
    enum Abuse { DROP, GARBAGE, OVERSIZED_LENGTH, HALF_FRAME, DESCRIPTOR_FLOOD, SILENCE }

    /** Connections held open at once, over ControlProcess.MAX_CLIENTS. */
    private static final int HELD_MAX = 160;
    /** Descriptors in one SCM_RIGHTS message (the kernel's limit is 253). */
    private static final int FDS_PER_MESSAGE = 200;

    private final Path socket;
    private final int total;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicInteger made = new AtomicInteger();
    private final AtomicLongArray byAbuse = new AtomicLongArray(Abuse.values().length);
    private final Deque<SocketChannel> held = new ArrayDeque<>();
    private final List<Throwable> errors = new ArrayList<>();

    ControlFlood(Path socket, int threadCount, int total) {
        this.socket = socket;
        this.total = total;
        for (int t = 0; t < threadCount; t++) {
            Random rnd = new Random(0xf100d + t);
            threads.add(new Thread(() -> run(rnd), "flood-" + t));
        }
    }

    void start() {
        threads.forEach(Thread::start);
    }

    /** Waits for every connection to have been made, then closes the held ones. */
    void finish() throws InterruptedException {
        for (Thread t : threads) t.join();
        synchronized (held) {
            for (SocketChannel ch : held) closeQuietly(ch);
            held.clear();
        }
        synchronized (errors) {
            if (!errors.isEmpty()) throw new AssertionError("the flood itself failed", errors.get(0));
        }
    }

    int connections() {
        return made.get();
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(made.get() + " connections:");
        for (Abuse a : Abuse.values()) b.append(' ').append(a.name().toLowerCase()).append(' ').append(byAbuse.get(a.ordinal()));
        return b.toString();
    }

    private void run(Random rnd) {
        try {
            while (made.getAndIncrement() < total) {
                Abuse a = Abuse.values()[rnd.nextInt(Abuse.values().length)];
                byAbuse.incrementAndGet(a.ordinal());
                abuse(a, rnd);
            }
            made.decrementAndGet(); // the increment that found the quota full
        } catch (Throwable e) {
            synchronized (errors) {
                errors.add(e);
            }
        }
    }

    private void abuse(Abuse a, Random rnd) throws IOException {
        if (a == Abuse.DESCRIPTOR_FLOOD) {
            descriptorFlood();
            return;
        }
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
            switch (a) {
                case DROP -> { }
                case GARBAGE -> {
                    byte[] junk = new byte[1 + rnd.nextInt(8192)];
                    rnd.nextBytes(junk);
                    writeQuietly(ch, ByteBuffer.wrap(junk));
                }
                case OVERSIZED_LENGTH -> writeQuietly(ch, header(ImsgType.GET_INFO_VM_REQUEST.code(), 0xffff));
                case HALF_FRAME -> {
                    ByteBuffer h = header(ImsgType.START_VM_REQUEST.code(), 200);
                    writeQuietly(ch, h);
                    writeQuietly(ch, ByteBuffer.wrap(new byte[1 + rnd.nextInt(100)]));
                    hold(ch);
                    return;
                }
                case SILENCE -> {
                    hold(ch);
                    return;
                }
                default -> throw new IllegalStateException(a.toString());
            }
        } catch (IOException refusedOrReset) {
            // the server closing on us is the expected answer to most of these
        }
        closeQuietly(ch);
    }

    /** A frame-sized header plus 200 descriptors in one SCM_RIGHTS message, then gone. */
    private void descriptorFlood() throws IOException {
        int fd;
        try {
            fd = UnixListener.connect(socket);
        } catch (IOException refused) {
            return;
        }
        try {
            int[] fds = new int[FDS_PER_MESSAGE];
            Arrays.fill(fds, fd);
            UnixSockets.send(fd, header(ImsgType.GET_INFO_VM_REQUEST.code(), 16), fds);
        } catch (RuntimeException closedOnUs) {
            // EPIPE / ECONNRESET once the server dropped us
        } finally {
            Fds.closeQuietly(fd);
        }
    }

    private void hold(SocketChannel ch) {
        SocketChannel drop = null;
        synchronized (held) {
            held.addLast(ch);
            if (held.size() > HELD_MAX) drop = held.removeFirst();
        }
        if (drop != null) closeQuietly(drop);
    }

    private static void writeQuietly(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    /** An imsg header: type, length (header included), no flags, peer id and pid 0. */
    static ByteBuffer header(int type, int length) {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(type).putShort((short) length).putShort((short) 0).putInt(0).putInt(0);
        return b.flip();
    }
}
