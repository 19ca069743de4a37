package vmd.proc;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.Logger;

/**
 * The parent's (and vmctl's) logging on Logback, set up in code: stderr, each line prefixed with the
 * process's name ("vmd", "vm web", "vioblk web/disk0"), vmd's loggers at
 * {@code -Dvmd.log.level} (INFO by default), everything else at WARN. A daemonized parent
 * switches to syslog at run time (it replaces the appender named {@link #APPENDER}).
 * Children log through {@link ChildLog} in the same format.
 *
 * <p>In code rather than logback.xml because parsing the XML (Joran, a SAX parser) cost
 * every child ~60 ms of its start, even from an AOT cache. Found by logback through
 * META-INF/services, ahead of any XML file.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogConfigurator extends ContextAwareBase implements Configurator {
    public static final String APPENDER = "STDERR";

    @Override
    public ExecutionStatus configure(LoggerContext ctx) {
        PatternLayoutEncoder encoder = encoder(ctx, System.getProperty("vmd.process", "vmd"));
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(ctx);
        stderr.setName(APPENDER);
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.WARN);
        root.addAppender(stderr);
        ctx.getLogger("vmd").setLevel(Level.toLevel(System.getProperty("vmd.log.level", "INFO"), Level.INFO));
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    private static PatternLayoutEncoder encoder(LoggerContext ctx, String processName) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern("%d{HH:mm:ss.SSS} " + processName.replaceAll("([%\\\\()])", "\\\\$1") + ": %-5level %msg%n");
        encoder.start();
        return encoder;
    }

    /** vmd's loggers at {@code level} (Logging.setLevel in a process on Logback). */
    static void setLevel(String level) {
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("vmd")).setLevel(Level.toLevel(level, Level.INFO));
    }

    /** The process's lines carry {@code processName} from now on (Logging.rename on Logback). */
    static void rename(String processName) {
        if (!(org.slf4j.LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) return;
        if (ctx.getLogger(Logger.ROOT_LOGGER_NAME).getAppender(APPENDER) instanceof ConsoleAppender<ILoggingEvent> a) {
            a.setEncoder(encoder(ctx, processName));
        }
    }
}
