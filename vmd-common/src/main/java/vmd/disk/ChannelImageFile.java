package vmd.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** An image file over a FileChannel the caller opened; no fallocate (callers write zeros). */
final class ChannelImageFile implements ImageFile {
    private final FileChannel channel;
    private final String name;
    private final boolean writable;

    ChannelImageFile(FileChannel channel, String name, boolean writable) {
        this.channel = channel;
        this.name = name;
        this.writable = writable;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean writable() {
        return writable;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        if (!dst.hasRemaining()) return 0;
        return channel.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        if (!writable) throw new IOException(name + ": opened read-only");
        return channel.write(src, position);
    }

    @Override
    public long size() throws IOException {
        return channel.size();
    }

    @Override
    public void setSize(long size) throws IOException {
        long now = channel.size();
        if (size < now) channel.truncate(size);
        else if (size > now) channel.write(ByteBuffer.allocate(1), size - 1);
    }

    @Override
    public void sync() throws IOException {
        if (writable) channel.force(false);
    }

    @Override
    public boolean punchHole(long offset, long length) {
        return false;
    }

    @Override
    public boolean zeroRange(long offset, long length) {
        return false;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return name;
    }
}
