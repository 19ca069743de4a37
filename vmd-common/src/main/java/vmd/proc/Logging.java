package vmd.proc;

import org.slf4j.LoggerFactory;

/**
 * Run-time log level for vmd's loggers ({@code vmd -v}, {@code vmctl log verbose|brief});
 * children inherit it. Children log through {@link ChildLog}, the parent through Logback
 * ({@link LogConfigurator}); this class serves both without loading Logback in a child.
 */
public final class Logging {
    private Logging() {}

    /** {@code vmctl log}'s verbosity: 0 brief (INFO), 1 verbose (DEBUG), more is TRACE. */
    public static void setVerbosity(int verbosity) {
        setLevel(verbosity > 1 ? "TRACE" : verbosity > 0 ? "DEBUG" : "INFO");
    }

    public static void setLevel(String level) {
        System.setProperty("vmd.log.level", level);
        if (LoggerFactory.getILoggerFactory() instanceof ChildLog.Factory) ChildLog.setLevel(level);
        else LogConfigurator.setLevel(level);
    }

    /** A spare device process became {@code processName}: its lines say so from now on. */
    public static void rename(String processName) {
        System.setProperty("vmd.process", processName);
        if (LoggerFactory.getILoggerFactory() instanceof ChildLog.Factory) ChildLog.rename(processName);
        else LogConfigurator.rename(processName);
    }
}
