package vmd.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import org.slf4j.LoggerFactory;

/**
 * Silences a logger tree for a fuzz run and keeps its first ERROR event: code that must
 * survive anything logs an unexpected exception instead of throwing it, and a fuzz target
 * turns that log line back into a finding. {@link #close()} restores the logger.
 */
public final class ErrorLogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {
    private final Logger logger;
    private volatile ILoggingEvent first;

    public ErrorLogCapture(String loggerName) {
        logger = (Logger) LoggerFactory.getLogger(loggerName);
        setContext(logger.getLoggerContext());
        setName("fuzz-error-capture");
        start();
        logger.setLevel(Level.ERROR);
        logger.setAdditive(false);
        logger.addAppender(this);
    }

    @Override
    protected void append(ILoggingEvent e) {
        if (first == null) first = e;
    }

    /** Throws an AssertionError carrying the first ERROR logged since the last call, if any. */
    public void check() {
        ILoggingEvent e = first;
        if (e == null) return;
        first = null;
        AssertionError a = new AssertionError("logged: " + e.getFormattedMessage());
        if (e.getThrowableProxy() instanceof ThrowableProxy p) a.initCause(p.getThrowable());
        throw a;
    }

    @Override
    public void close() {
        logger.detachAppender(this);
        logger.setAdditive(true);
        logger.setLevel(null);
        stop();
    }
}
