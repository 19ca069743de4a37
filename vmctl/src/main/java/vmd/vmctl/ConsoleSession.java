package vmd.vmctl;

import static vmd.sys.Native.U8;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.lang.foreign.MemorySegment;
import vmd.sys.Fds;
import vmd.sys.Native;
import vmd.sys.NativeException;

/**
 * A cu(1)-like session on a VM's console tty: the user's terminal (if stdin is one) in raw
 * mode, restored on exit; bytes copied both ways; {@code ~.} at the start of a line ends
 * the session, {@code ~~} sends one tilde. Works with pipes too (no terminal to set up).
 */
final class ConsoleSession {
    private static final int TERMIOS_SIZE = 64, TCSANOW = 0;

    private final String tty;
    private final PrintStream messages;

    ConsoleSession(String tty, PrintStream messages) {
        this.tty = tty;
        this.messages = messages;
    }

    int run() {
        int fd;
        try {
            fd = Fds.open(tty, Fds.O_RDWR | Fds.O_NOCTTY);
        } catch (NativeException e) {
            throw new VmctlException(tty + ": " + NativeException.describe(e.errno()));
        }
        MemorySegment saved = rawTerminal();
        Thread restore = new Thread(() -> restoreTerminal(saved));
        Runtime.getRuntime().addShutdownHook(restore);
        messages.print("Connected to " + tty + " (speed 115200)\r\n");
        messages.flush();
        Thread output = new Thread(() -> copyOut(fd), "console-out");
        output.setDaemon(true);
        output.start();
        try {
            copyIn(System.in, fd);
        } finally {
            restoreTerminal(saved);
            messages.print("\r\n[EOT]\r\n");
            messages.flush();
        }
        return 0;
    }

    /** tty -> stdout until the tty closes (the session ends from the input side). */
    private static void copyOut(int fd) {
        ByteBuffer buf = ByteBuffer.allocateDirect(4096);
        byte[] bytes = new byte[4096];
        try {
            while (true) {
                buf.clear();
                int n = Fds.read(fd, buf);
                if (n <= 0) return;
                buf.flip().get(bytes, 0, n);
                System.out.write(bytes, 0, n);
                System.out.flush();
            }
        } catch (RuntimeException e) {
            // the console went away
        }
    }

    /** stdin -> tty with cu's escapes; returns at "~." or end of input. */
    private static void copyIn(InputStream in, int fd) {
        boolean lineStart = true, tilde = false;
        byte[] buf = new byte[1024];
        ByteBuffer out = ByteBuffer.allocateDirect(2048);
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                out.clear();
                for (int i = 0; i < n; i++) {
                    byte c = buf[i];
                    if (tilde) {
                        tilde = false;
                        if (c == '.') {
                            write(fd, out);
                            return;
                        }
                        if (c != '~') out.put((byte) '~');
                        out.put(c);
                    } else if (lineStart && c == '~') {
                        tilde = true;
                        continue;
                    } else {
                        out.put(c);
                    }
                    lineStart = c == '\r' || c == '\n';
                }
                write(fd, out);
            }
        } catch (IOException e) {
            // stdin closed
        }
    }

    private static void write(int fd, ByteBuffer out) {
        out.flip();
        while (out.hasRemaining()) Fds.write(fd, out);
    }

    /** cfmakeraw on fd 0 if it is a terminal; returns the settings to restore, or null. */
    private static MemorySegment rawTerminal() {
        MemorySegment saved = Native.allocate(TERMIOS_SIZE);
        if (Native.libc().tcgetattr(0, saved) != 0) return null; // not a tty: pipes need nothing
        MemorySegment raw = Native.allocate(TERMIOS_SIZE);
        byte[] copy = new byte[TERMIOS_SIZE];
        MemorySegment.copy(saved, U8, 0, copy, 0, TERMIOS_SIZE);
        MemorySegment.copy(copy, 0, raw, U8, 0, TERMIOS_SIZE);
        Native.libc().cfmakeraw(raw);
        Native.libc().tcsetattr(0, TCSANOW, raw);
        return saved;
    }

    private static synchronized void restoreTerminal(MemorySegment saved) {
        if (saved != null) Native.libc().tcsetattr(0, TCSANOW, saved);
    }
}
