package vmd.proc;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** Run-time log level for vmd's loggers ({@code vmd -v}, {@code vmctl log verbose|brief}); children inherit it. */
public final class Logging {
    private Logging() {}

    /** {@code vmctl log}'s verbosity: 0 brief (INFO), 1 verbose (DEBUG), more is TRACE. */
    public static void setVerbosity(int verbosity) {
        setLevel(verbosity > 1 ? "TRACE" : verbosity > 0 ? "DEBUG" : "INFO");
    }

    public static void setLevel(String level) {
        ((Logger) LoggerFactory.getLogger("vmd")).setLevel(Level.toLevel(level, Level.INFO));
        System.setProperty("vmd.log.level", level);
    }
}
