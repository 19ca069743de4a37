package vmd.parent;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;

/**
 * Logback appender for a daemonized vmd: RFC 3164 datagrams to the local syslog socket
 * (/dev/log), facility daemon, ident "vmd" with the pid, as OpenBSD's vmd logs. Messages
 * are sent as they come; if syslog is not listening they are dropped (as syslog(3) does).
 */
public final class SyslogAppender extends AppenderBase<ILoggingEvent> {
    public static final String DEV_LOG = "/dev/log";
    static final int FACILITY_DAEMON = 3;
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.ROOT);

    private final String ident;
    private final UnixSocketAddress target;
    private UnixDatagramChannel channel;

    public SyslogAppender(String ident, String socketPath) {
        this.ident = ident;
        this.target = new UnixSocketAddress(new File(socketPath));
    }

    @Override
    public void start() {
        try {
            channel = UnixDatagramChannel.open();
        } catch (IOException e) {
            addError("cannot open a datagram socket for syslog", e);
            return;
        }
        super.start();
    }

    @Override
    public void stop() {
        super.stop();
        try {
            if (channel != null) channel.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    @Override
    protected void append(ILoggingEvent event) {
        String process = System.getProperty("vmd.process");
        String text = (process != null && !process.equals("vmd") ? process + ": " : "") + event.getFormattedMessage();
        if (event.getThrowableProxy() != null) text += ": " + event.getThrowableProxy().getMessage();
        send(severity(event.getLevel()), text);
    }

    /** Sends one line with the given severity (0-7). */
    public synchronized void send(int severity, String text) {
        if (channel == null) return;
        String line = format(severity, LocalDateTime.now(), ident, ProcessHandle.current().pid(), text);
        try {
            channel.send(ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8)), target);
        } catch (IOException e) {
            // syslog is down: drop the message like syslog(3)
        }
    }

    static String format(int severity, LocalDateTime when, String ident, long pid, String text) {
        int pri = FACILITY_DAEMON * 8 + severity;
        String clean = text.replace('\n', ' ').replace('\r', ' ');
        if (clean.length() > 900) clean = clean.substring(0, 900);
        return "<" + pri + ">" + STAMP.format(when) + " " + ident + "[" + pid + "]: " + clean;
    }

    static int severity(Level level) {
        if (level.isGreaterOrEqual(Level.ERROR)) return 3;
        if (level.isGreaterOrEqual(Level.WARN)) return 4;
        if (level.isGreaterOrEqual(Level.INFO)) return 6;
        return 7;
    }

    /** Severity of a line a child wrote to stderr ("12:00:00.000 vm web: WARN  text"). */
    static int severityOfLine(String line) {
        if (line.contains(": ERROR ")) return 3;
        if (line.contains(": WARN ")) return 4;
        if (line.contains(": DEBUG ") || line.contains(": TRACE ")) return 7;
        return 6;
    }
}
