package vmd.parent.vms;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * A migration destination written from vmctl(8)'s description of the stream: it takes
 * HELLO, every round's pages and syncs as a vmd would, then refuses the STATE record,
 * which comes after the source paused its guest. So a test reaches the source's one
 * failure that has to undo something: the guest must run on where it was paused.
 */
final class RefusingDestination implements AutoCloseable {
    static final String REASON = "refused by the test after the stop";
    private static final int HELLO = 1, PAGES = 2, STATE = 3, ACK = 4, SYNC = 5;

    private final ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    /** Completes with the number of pages taken before STATE was refused. */
    final CompletableFuture<Long> refused = new CompletableFuture<>();

    RefusingDestination() throws IOException {
        Thread t = new Thread(this::serve, "refusing-destination");
        t.setDaemon(true);
        t.start();
    }

    String address() {
        return "127.0.0.1:" + listener.getLocalPort();
    }

    private void serve() {
        try (Socket s = listener.accept()) {
            DataInputStream in = new DataInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            byte[] magic = new byte[8];
            in.readFully(magic);
            if (!new String(magic, StandardCharsets.US_ASCII).equals("VMDMIGR\0")) throw new IOException("magic " + new String(magic));
            if (u32(in) != 1) throw new IOException("version");
            if (u32(in) != HELLO) throw new IOException("no HELLO first");
            skipSnapshot(in);
            ack(out, 0, "");
            long pages = 0;
            while (true) {
                int tag = u32(in);
                if (tag == PAGES) {
                    in.readFully(new byte[8]); // guest-physical address
                    int count = u32(in);
                    in.readFully(new byte[count * 4096]);
                    pages += count;
                } else if (tag == SYNC) {
                    ack(out, 0, "");
                } else if (tag == STATE) {
                    skipSnapshot(in);
                    ack(out, 1, REASON);
                    refused.complete(pages);
                    return;
                } else {
                    throw new IOException("record " + tag);
                }
            }
        } catch (IOException | RuntimeException e) {
            refused.completeExceptionally(e);
        }
    }

    /** A snapshot stream: header, section table, then each section with its table entry repeated. */
    private static void skipSnapshot(DataInputStream in) throws IOException {
        in.readFully(new byte[12]); // magic VMDSNAP\0, version
        int sections = u32(in);
        long total = 0;
        for (int i = 0; i < sections; i++) {
            in.readFully(new byte[8]); // kind, instance
            total += u64(in) + 16;
        }
        in.readFully(new byte[Math.toIntExact(total)]);
    }

    private static void ack(OutputStream out, int code, String message) throws IOException {
        byte[] m = message.getBytes(StandardCharsets.UTF_8);
        out.write(ByteBuffer.allocate(12 + m.length).order(ByteOrder.LITTLE_ENDIAN).putInt(ACK).putInt(code).putInt(m.length).put(m)
                .array());
        out.flush();
    }

    private static int u32(InputStream in) throws IOException {
        byte[] b = in.readNBytes(4);
        if (b.length < 4) throw new IOException("stream ended");
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    private static long u64(InputStream in) throws IOException {
        byte[] b = in.readNBytes(8);
        if (b.length < 8) throw new IOException("stream ended");
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
