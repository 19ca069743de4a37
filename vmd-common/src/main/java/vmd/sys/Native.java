package vmd.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import jnr.posix.POSIX;

/**
 * The one way into native code: libc through java.lang.foreign ({@link LibC}), and for
 * the parent's POSIX process, user and file calls jnr-posix, loaded only when first
 * asked for, so a child process never loads jnr-ffi.
 */
public final class Native {
    /** Unaligned layouts: kernel structures are packed at their own offsets, not Java's. */
    public static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    public static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    public static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    public static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;

    private Native() {}

    public static LibC libc() {
        return LibC.INSTANCE;
    }

    /**
     * Links the libc downcalls on a thread of their own, so that a child's start overlaps
     * it (~40 ms) with setting up logging; {@code ChildLog} calls it as logging starts.
     */
    public static void linkInBackground() {
        Thread t = new Thread(() -> LibC.INSTANCE.getpid(), "libc-link");
        t.setDaemon(true);
        t.start();
    }

    /** jnr-posix, for the parent only (getpwnam, dup2 while daemonizing). */
    public static POSIX posix() {
        return PosixHolder.POSIX;
    }

    private static final class PosixHolder {
        static final POSIX POSIX = jnr.posix.POSIXFactory.getNativePOSIX();
    }

    /** errno saved by the last libc call on this thread. */
    public static int errno() {
        return LibC.INSTANCE.errno();
    }

    /** Zeroed native memory, freed when the returned segment is collected. */
    public static MemorySegment allocate(long size) {
        return Arena.ofAuto().allocate(size, 16);
    }

    /** Zeroed native memory holding a copy of {@code bytes}. */
    public static MemorySegment allocate(byte[] bytes) {
        MemorySegment m = allocate(Math.max(1, bytes.length));
        MemorySegment.copy(bytes, 0, m, U8, 0, bytes.length);
        return m;
    }

    /** The address of a direct buffer's element 0 (not its position). */
    public static long address(ByteBuffer direct) {
        if (!direct.isDirect()) throw new IllegalArgumentException("not a direct buffer");
        return MemorySegment.ofBuffer(direct).address() - direct.position();
    }

    /** A little-endian view of {@code length} bytes at a raw address (guest memory, kvm_run). */
    public static ByteBuffer buffer(long address, int length) {
        return MemorySegment.ofAddress(address).reinterpret(length).asByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN);
    }

    /** Throws {@link NativeException} naming {@code call} if {@code rc} is -1. */
    public static int check(String call, int rc) {
        if (rc == -1) throw new NativeException(call, errno());
        return rc;
    }

    public static long check(String call, long rc) {
        if (rc == -1) throw new NativeException(call, errno());
        return rc;
    }

    /** For calls that return an error number instead of setting errno (pthread, posix_spawn). */
    public static void checkReturned(String call, int err) {
        if (err != 0) throw new NativeException(call, err);
    }
}
