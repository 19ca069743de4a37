package vmd.proc;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The SLF4J back-end of every child process: one line per event on stderr, in the
 * parent's format ({@code HH:mm:ss.SSS NAME: LEVEL message}, the name from
 * {@code -Dvmd.process}), vmd's loggers at the run-time level, others at WARN. The parent
 * reads these lines (and sends them to syslog when daemonized); it keeps Logback itself.
 *
 * <p>The time of day is the parent's local time: the parent passes its offset from UTC
 * ({@code -Dvmd.log.utcoffset}, seconds) at spawn, so a child loads no time-zone rules
 * (java.time reads and keeps the whole tz database, ~1 MiB a process); a child started
 * before a daylight-saving change keeps the old offset until it is restarted. For the same
 * reason a child's normal path formats with {@code {}} and {@code Long.toHexString}, not
 * {@code String.format}, whose first use loads the CLDR locale data and regex classes.
 *
 * <p>Chosen with {@code -Dslf4j.provider=vmd.proc.ChildLog} ({@link ChildJvmFlags}) and
 * not registered as a service, so the parent's Logback is not disturbed. A child without
 * Logback starts ~40 ms sooner and carries ~1,000 fewer classes.
 */
public final class ChildLog implements SLF4JServiceProvider {
    private static volatile int vmdLevel = levelOf(System.getProperty("vmd.log.level", "INFO")).toInt();
    private static volatile String processName = System.getProperty("vmd.process", "vmd");
    /** The system property carrying the parent's offset from UTC in seconds. */
    public static final String UTC_OFFSET_PROPERTY = "vmd.log.utcoffset";
    private static final long UTC_OFFSET_MS = Long.getLong(UTC_OFFSET_PROPERTY, 0) * 1000;

    private final Factory factory = new Factory();
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final MDCAdapter mdc = new NOPMDCAdapter();

    static Level levelOf(String name) {
        try {
            return Level.valueOf(name.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return Level.INFO;
        }
    }

    /** {@code vmctl log}: vmd's loggers log at {@code level} and above from now on. */
    static void setLevel(String level) {
        vmdLevel = levelOf(level).toInt();
    }

    /** Appends {@code HH:mm:ss.SSS}, the time of day at {@code epochMs} and {@code offsetMs} east of UTC. */
    static StringBuilder timeOfDay(StringBuilder line, long epochMs, long offsetMs) {
        long ms = Math.floorMod(epochMs + offsetMs, 86_400_000L);
        two(line, (int) (ms / 3_600_000)).append(':');
        two(line, (int) (ms / 60_000 % 60)).append(':');
        two(line, (int) (ms / 1000 % 60)).append('.');
        int milli = (int) (ms % 1000);
        return line.append((char) ('0' + milli / 100)).append((char) ('0' + milli / 10 % 10)).append((char) ('0' + milli % 10));
    }

    private static StringBuilder two(StringBuilder b, int v) {
        return b.append((char) ('0' + v / 10)).append((char) ('0' + v % 10));
    }

    /** A spare device process became {@code name}. */
    static void rename(String name) {
        processName = name;
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return factory;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }

    /** Runs first thing in a child (its first logger): libc's downcalls link meanwhile. */
    @Override
    public void initialize() {
        vmd.sys.Native.linkInBackground();
    }

    static final class Factory implements ILoggerFactory {
        private final Map<String, Logger> loggers = new ConcurrentHashMap<>();

        @Override
        public Logger getLogger(String name) {
            return loggers.computeIfAbsent(name, ChildLogger::new);
        }
    }

    private static final class ChildLogger extends LegacyAbstractLogger {
        private final boolean ours;

        ChildLogger(String name) {
            this.name = name;
            this.ours = name.equals("vmd") || name.startsWith("vmd.");
        }

        private boolean enabled(Level level) {
            return level.toInt() >= (ours ? vmdLevel : Level.WARN.toInt());
        }

        @Override public boolean isTraceEnabled() { return enabled(Level.TRACE); }
        @Override public boolean isDebugEnabled() { return enabled(Level.DEBUG); }
        @Override public boolean isInfoEnabled() { return enabled(Level.INFO); }
        @Override public boolean isWarnEnabled() { return enabled(Level.WARN); }
        @Override public boolean isErrorEnabled() { return enabled(Level.ERROR); }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] args, Throwable t) {
            StringBuilder line = timeOfDay(new StringBuilder(96), System.currentTimeMillis(), UTC_OFFSET_MS);
            line.append(' ').append(processName).append(": ");
            String lv = level.toString();
            line.append(lv).append(" ".repeat(Math.max(0, 5 - lv.length()))).append(' ');
            line.append(MessageFormatter.basicArrayFormat(pattern, args)).append('\n');
            if (t != null) {
                StringWriter trace = new StringWriter();
                t.printStackTrace(new PrintWriter(trace));
                line.append(trace);
            }
            System.err.print(line); // one write per event: lines of several threads do not mix
        }
    }
}
