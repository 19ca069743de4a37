package vmd.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * An image file that can "lose power": every write since the last sync is logged, and
 * {@link #crash} keeps only a random subset of them (in any combination, as a volatile disk
 * cache that reorders may), as if the machine went down. It can also make the process "die"
 * at the Nth write or sync ({@link #failAfter}).
 */
final class PowerLossImageFile implements ImageFile {
    private record Logged(long offset, byte[] old, byte[] data) { }

    private final ImageFile real;
    private final List<Logged> unsynced = new ArrayList<>();
    private long syncedSize;
    private int opsLeft = Integer.MAX_VALUE;
    int writes, syncs;

    PowerLossImageFile(ImageFile real) throws IOException {
        this.real = real;
        this.syncedSize = real.size();
    }

    /** The process dies at the n-th write, sync or punch from now. */
    void failAfter(int n) {
        opsLeft = n;
    }

    private void op() throws IOException {
        if (opsLeft-- <= 0) throw new IOException("simulated crash");
    }

    @Override
    public String name() {
        return real.name();
    }

    @Override
    public boolean writable() {
        return real.writable();
    }

    @Override
    public synchronized int read(ByteBuffer dst, long position) throws IOException {
        return real.read(dst, position);
    }

    private byte[] old(long position, int len) throws IOException {
        ByteBuffer o = ByteBuffer.allocate(len);
        real.readUpTo(o, position);
        return o.array();
    }

    @Override
    public synchronized int write(ByteBuffer src, long position) throws IOException {
        op();
        writes++;
        int len = src.remaining();
        byte[] data = new byte[len];
        src.duplicate().get(data);
        unsynced.add(new Logged(position, old(position, len), data));
        real.writeFully(src, position);
        return len;
    }

    @Override
    public long size() throws IOException {
        return real.size();
    }

    @Override
    public synchronized void setSize(long size) throws IOException {
        op();
        real.setSize(size);
    }

    @Override
    public synchronized void sync() throws IOException {
        op();
        syncs++;
        real.sync();
        unsynced.clear();
        syncedSize = real.size();
    }

    @Override
    public synchronized boolean punchHole(long offset, long length) throws IOException {
        op();
        unsynced.add(new Logged(offset, old(offset, (int) length), new byte[(int) length]));
        return real.punchHole(offset, length);
    }

    @Override
    public synchronized boolean zeroRange(long offset, long length) throws IOException {
        op();
        unsynced.add(new Logged(offset, old(offset, (int) length), new byte[(int) length]));
        return real.zeroRange(offset, length);
    }

    /** Loses a random subset of the unsynced writes, then closes the file. Returns how many were lost. */
    synchronized int crash(Random r) throws IOException {
        for (int i = unsynced.size() - 1; i >= 0; i--) {
            Logged l = unsynced.get(i);
            real.writeFully(ByteBuffer.wrap(l.old), l.offset);
        }
        real.setSize(syncedSize);
        int lost = 0;
        for (Logged l : unsynced) {
            if (r.nextBoolean()) real.writeFully(ByteBuffer.wrap(l.data), l.offset);
            else lost++;
        }
        unsynced.clear();
        real.close();
        opsLeft = 0;
        return lost;
    }

    @Override
    public void close() throws IOException {
        real.close();
    }
}
