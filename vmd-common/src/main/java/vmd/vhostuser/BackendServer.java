package vmd.vhostuser;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link VhostUserBackend} the way the back-end program conventions ask:
 * {@code --print-capabilities} prints and returns, {@code --fd N} serves that socket once
 * (vmd's device processes: the parent's socketpair end, at fd 3), {@code --socket-path}
 * listens and serves one front-end after another until {@link VhostUserBackend#stop()}
 * or the listener is closed. A main class parses its own options from
 * {@link BackendCommandLine#rest()} and calls {@link #run}.
 */
public final class BackendServer {
    private static final Logger log = LoggerFactory.getLogger(BackendServer.class);

    private BackendServer() {}

    /** Returns the process exit status (0 after --print-capabilities or a clean end). */
    public static int run(BackendCommandLine cmd, String type, List<String> features, VhostUserBackend backend,
                          PrintStream out) {
        if (cmd.printCapabilities()) {
            out.print(BackendCommandLine.capabilities(type, features));
            out.flush();
            return 0;
        }
        if (cmd.hasFd()) {
            backend.serve(cmd.fd());
            return 0;
        }
        try (UnixListener listener = UnixListener.listen(Path.of(cmd.socketPath()))) {
            log.info("listening on {}", cmd.socketPath());
            return serveAll(listener, backend);
        } catch (IOException e) {
            log.error("{}", e.getMessage());
            return 1;
        }
    }

    /** Accepts and serves front-ends one at a time until accept fails (the listener was closed). */
    public static int serveAll(UnixListener listener, VhostUserBackend backend) {
        while (!backend.stopped()) {
            int c;
            try {
                c = listener.accept();
            } catch (IOException e) {
                log.info("no longer accepting: {}", e.getMessage());
                return 0;
            }
            backend.serve(c);
        }
        return 0;
    }
}
