package vmd.vm.devices;

import static vmd.sys.Native.U8;

import static vmd.sys.Native.libc;

import jnr.constants.platform.Errno;
import java.lang.foreign.MemorySegment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.sys.Fds;
import vmd.sys.Native;

/**
 * The console: a UART's far end on a pty master (OpenBSD vmd gives each VM a tty the same
 * way; {@code vmctl console} attaches to the slave).
 *
 * <p>Output ({@link #write}) runs on vCPU threads and must never block them, so the master
 * is made O_NONBLOCK and a byte the pty cannot take right now (EAGAIN: nobody has drained
 * the slave and the pty buffer is full; EIO: no slave is open) is dropped and counted;
 * the first drop is logged, later ones only counted. Nothing is lost for a reader who
 * stays attached; output nobody reads is also kept in the UART's recent-output log.
 *
 * <p>Input: a daemon thread reads the master and hands the bytes to the UART with
 * {@link Uart16550#offer}, waiting for FIFO room instead of dropping — a paste into the
 * console waits in the pty (and back-pressures the writer) while the guest drains the FIFO.
 * Because the master is non-blocking (O_NONBLOCK is a property of the open file, shared
 * by reads and writes), the reader cannot block in read(2): it waits in poll(2) for
 * POLLIN, and sleeps {@value #DETACHED_SLEEP_MS} ms between tries while no slave is open
 * (reads then fail with EIO and poll reports POLLHUP at once).
 */
public final class PtyConsole implements ConsoleOutput, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PtyConsole.class);

    static final int DETACHED_SLEEP_MS = 200;
    private static final int READ_CHUNK = 256;

    private final int masterFd;
    private final MemorySegment outByte = Native.allocate(1);
    private long droppedOutput;
    private boolean droppedOutputLogged;

    private volatile boolean closed;
    private Thread reader;

    /**
     * Takes ownership of {@code masterFd} (closed by {@link #close}) and makes it
     * non-blocking. The pty should already be raw (see {@link vmd.sys.Pty#makeRaw}).
     */
    public PtyConsole(int masterFd) {
        this.masterFd = masterFd;
        Fds.setNonBlocking(masterFd, true);
    }

    public int masterFd() {
        return masterFd;
    }

    /** One transmitted byte; drops it (and counts) if the pty cannot take it at once. */
    @Override
    public synchronized void write(byte b) {
        if (closed) return;
        outByte.set(U8, 0, b);
        long n = libc().write(masterFd, outByte, 1);
        if (n == 1) return;
        int errno = Native.errno();
        droppedOutput++;
        if (!droppedOutputLogged) {
            droppedOutputLogged = true;
            log.warn("console pty not accepting output ({}); dropping console output (logged once)",
                    Errno.valueOf(errno));
        }
    }

    /** Console output bytes dropped because the pty was full or had no reader. */
    public synchronized long droppedOutputBytes() {
        return droppedOutput;
    }

    /** Starts the daemon thread that feeds what is typed on the pty to {@code uart}. */
    public synchronized void startReader(Uart16550 uart) {
        if (reader != null) throw new IllegalStateException("console reader already running");
        reader = new Thread(() -> readLoop(uart), "console-reader-" + masterFd);
        reader.setDaemon(true);
        reader.start();
    }

    private void readLoop(Uart16550 uart) {
        MemorySegment buf = Native.allocate(READ_CHUNK);
        byte[] bytes = new byte[READ_CHUNK];
        try {
            while (!closed) {
                long n = libc().read(masterFd, buf, READ_CHUNK);
                if (n > 0) {
                    MemorySegment.copy(buf, U8, 0, bytes, 0, (int) n);
                    deliver(uart, bytes, (int) n);
                    continue;
                }
                int errno = n < 0 ? Native.errno() : 0;
                if (n < 0 && errno == Errno.EAGAIN.intValue()) {
                    Fds.poll(masterFd, Fds.POLLIN, DETACHED_SLEEP_MS);
                } else if (n == 0 || errno == Errno.EIO.intValue()) {
                    waitForInput(DETACHED_SLEEP_MS); // no slave open: nobody is attached
                } else if (errno == Errno.EINTR.intValue()) {
                    continue;
                } else {
                    if (!closed) log.warn("console reader stops: read failed ({})", Errno.valueOf(errno));
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void deliver(Uart16550 uart, byte[] bytes, int n) throws InterruptedException {
        int off = 0;
        while (off < n && !closed) {
            off += uart.offer(bytes, off, n - off);
            if (off < n) uart.awaitRoom(100);
        }
    }

    private static void waitForInput(int millis) throws InterruptedException {
        Thread.sleep(millis);
    }

    /** Stops the reader thread (within one sleep period) and closes the master. */
    @Override
    public void close() {
        Thread r;
        synchronized (this) {
            if (closed) return;
            closed = true;
            r = reader;
        }
        if (r != null) {
            r.interrupt();
            try {
                r.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Fds.closeQuietly(masterFd);
    }
}
