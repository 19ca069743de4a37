package vmd.parent;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;
import vmd.proc.JvmCommand;
import vmd.sys.Fds;
import vmd.sys.Native;
import vmd.sys.Spawn;

/**
 * Becoming a daemon without fork(2): the vmd a user starts spawns a copy of itself with
 * {@code -d} in a new session (posix_spawn with setsid), fd 3 being the write end of a
 * pipe, and waits. The copy writes one byte there once it is up and closes it; the first
 * vmd then exits 0 (or 1 if the pipe closes first: the copy failed and said why on the
 * terminal's stderr, which it still had). Then the copy moves its logs to syslog, its
 * stdin and stdout to /dev/null and its stderr to a pipe whose lines — its children's
 * logs — it forwards to syslog too, and writes the pidfile.
 */
final class Daemonizer {
    static final String ENV_CHILD = "VMD_DAEMONIZED";
    private static final int READY_FD = 3;

    private Daemonizer() {}

    /** True in the copy started by {@link #spawnAndWait}. */
    static boolean isDaemonCopy() {
        return "1".equals(System.getenv(ENV_CHILD));
    }

    /** In the vmd the user started: spawn the daemon, wait for it to be up, return the exit code. */
    static int spawnAndWait(List<String> foregroundArgs) {
        JvmCommand jvm = JvmCommand.current();
        List<String> argv = new ArrayList<>();
        argv.add(jvm.java().toString());
        argv.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        argv.add("-cp");
        argv.add(jvm.classPath());
        argv.add(VmdMain.class.getName());
        argv.addAll(foregroundArgs);
        List<String> env = new ArrayList<>();
        for (Map.Entry<String, String> e : System.getenv().entrySet()) {
            if (!e.getKey().equals(ENV_CHILD)) env.add(e.getKey() + "=" + e.getValue());
        }
        env.add(ENV_CHILD + "=1");
        int[] pipe = Fds.pipe();
        try {
            Spawn.spawn(argv, env, pipe[1]);
        } finally {
            Fds.closeQuietly(pipe[1]);
        }
        ByteBuffer b = ByteBuffer.allocateDirect(1);
        int n;
        try {
            n = Fds.read(pipe[0], b);
        } catch (RuntimeException e) {
            n = 0;
        }
        Fds.closeQuietly(pipe[0]);
        if (n == 1) return 0;
        System.err.println("vmd: the daemon did not start");
        return 1;
    }

    /**
     * In the daemon copy, before it spawns any child: log to syslog, and move stdin and
     * stdout to /dev/null and stderr to a pipe forwarded to syslog, so that no child ever
     * holds the terminal (or the pipes) of whoever started vmd.
     */
    static void redirectToSyslog() {
        SyslogAppender syslog = new SyslogAppender("vmd", SyslogAppender.DEV_LOG);
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        syslog.setContext(ctx);
        syslog.setName("SYSLOG");
        syslog.start();
        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(syslog);
        root.detachAppender(vmd.proc.LogConfigurator.APPENDER);
        // stderr becomes a pipe read here: children inherit it and their lines go to syslog.
        int[] pipe = Fds.pipe();
        int devnull = Fds.open("/dev/null", Fds.O_RDWR);
        Native.posix().dup2(devnull, 0);
        Native.posix().dup2(devnull, 1);
        Native.posix().dup2(pipe[1], 2);
        Fds.closeQuietly(devnull);
        Fds.closeQuietly(pipe[1]);
        Thread t = new Thread(() -> forward(pipe[0], syslog), "syslog-stderr");
        t.setDaemon(true);
        t.start();
    }

    /** In the daemon copy, once it serves: write the pidfile and tell the starting vmd. */
    static void announce(String pidFile) {
        if (pidFile != null && !pidFile.isEmpty()) {
            try {
                Files.writeString(Path.of(pidFile), ProcessHandle.current().pid() + "\n");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        Files.deleteIfExists(Path.of(pidFile));
                    } catch (IOException ignored) {
                        // nothing left to tell
                    }
                }));
            } catch (IOException e) {
                LoggerFactory.getLogger(Daemonizer.class).warn("cannot write pidfile {}: {}", pidFile, e.toString());
            }
        }
        // Tell the vmd that started us that we are up.
        Fds.write(READY_FD, ByteBuffer.allocateDirect(1).put((byte) 1).flip());
        Fds.closeQuietly(READY_FD);
    }

    private static void forward(int fd, SyslogAppender syslog) {
        ByteBuffer buf = ByteBuffer.allocateDirect(8192);
        java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
        try {
            while (true) {
                buf.clear();
                int n = Fds.read(fd, buf);
                if (n <= 0) return;
                buf.flip();
                while (buf.hasRemaining()) {
                    byte c = buf.get();
                    if (c != '\n' && line.size() < 4096) {
                        line.write(c);
                        continue;
                    }
                    String text = line.toString(StandardCharsets.UTF_8);
                    line.reset();
                    if (!text.isBlank()) syslog.send(SyslogAppender.severityOfLine(text), text.replaceFirst("^\\d\\d:\\d\\d:\\d\\d\\.\\d+ ", ""));
                }
            }
        } catch (RuntimeException e) {
            // stderr closed: the daemon is ending
        }
    }
}
