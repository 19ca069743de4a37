package vmd.sys;

import static vmd.sys.Native.check;
import static vmd.sys.Native.libc;

import static vmd.sys.Native.U32;
import static vmd.sys.Native.U8;

import java.lang.foreign.MemorySegment;

/**
 * A pseudo-terminal pair for the console: the master stays with the VMM, the slave's path
 * ({@code /dev/pts/N}) is what {@code vmctl console} opens.
 *
 * <p>The parent opens the pair and passes the master to the vm process. The master must
 * be put in raw mode ({@link #makeRaw}) before guest output flows: a fresh pty's slave has
 * ECHO and ICANON on, and its line discipline would otherwise echo every byte the guest
 * prints straight back to the master — i.e. into the guest's own serial input.
 */
public record Pty(int masterFd, String slavePath) {
    private static final long TCGETS = 0x5401, TCSETS = 0x5402;
    private static final int TERMIOS_SIZE = 60; // kernel struct termios is 36 bytes; leave room

    // termios flag bits (Linux, x86)
    private static final int IGNBRK = 0x1, BRKINT = 0x2, PARMRK = 0x8, ISTRIP = 0x20, INLCR = 0x40,
            IGNCR = 0x80, ICRNL = 0x100, IXON = 0x400;
    private static final int OPOST = 0x1;
    private static final int ISIG = 0x1, ICANON = 0x2, ECHO = 0x8, ECHONL = 0x40, IEXTEN = 0x8000;
    private static final int CSIZE = 0x30, PARENB = 0x100, CS8 = 0x30;
    private static final int CC_OFFSET = 17, VTIME = 5, VMIN = 6;

    /** Opens a new pty pair (master close-on-exec, no controlling terminal) in raw mode. */
    public static Pty open() {
        int fd = check("posix_openpt", libc().posix_openpt(Fds.O_RDWR | Fds.O_NOCTTY | Fds.O_CLOEXEC));
        try {
            check("grantpt", libc().grantpt(fd));
            check("unlockpt", libc().unlockpt(fd));
            MemorySegment buf = Native.allocate(128);
            Native.checkReturned("ptsname_r", libc().ptsname_r(fd, buf, 128));
            String path = buf.getString(0);
            makeRaw(fd);
            return new Pty(fd, path);
        } catch (NativeException e) {
            Fds.closeQuietly(fd);
            throw e;
        }
    }

    /**
     * cfmakeraw() on the terminal behind {@code fd}. On a pty master the termios ioctls act
     * on the slave side, which is the one whose line discipline matters here.
     */
    public static void makeRaw(int fd) {
        MemorySegment t = Native.allocate(TERMIOS_SIZE);
        Fds.ioctl(fd, "TCGETS", TCGETS, t);
        t.set(U32, 0, t.get(U32, 0) & ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON));
        t.set(U32, 4, t.get(U32, 4) & ~OPOST);
        t.set(U32, 8, (t.get(U32, 8) & ~(CSIZE | PARENB)) | CS8);
        t.set(U32, 12, t.get(U32, 12) & ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN));
        t.set(U8, CC_OFFSET + VMIN, (byte) 1);
        t.set(U8, CC_OFFSET + VTIME, (byte) 0);
        Fds.ioctl(fd, "TCSETS", TCSETS, t);
    }
}
