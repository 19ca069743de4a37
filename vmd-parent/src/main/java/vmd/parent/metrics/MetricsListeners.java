package vmd.parent.metrics;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.parent.config.MetricsConfig;
import vmd.parent.config.Owner;
import vmd.parent.control.ControlSocket;
import vmd.sys.Fds;
import vmd.sys.NativeException;
import vmd.sys.TcpSockets;

/**
 * The metrics endpoints' listening sockets, which the parent binds (children open nothing)
 * and keeps, so that a restarted control process gets them again: the Unix socket, mode
 * 0660 with the control socket's owner, and the loopback TCP port. {@link #apply} follows
 * a (re)loaded configuration, keeping what it still names.
 */
public final class MetricsListeners implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsListeners.class);
    static final int BACKLOG = 64;

    /** One listening socket, and its label for the control process: "unix:PATH" or "tcp:ADDRESS:PORT". */
    public record Endpoint(String label, int fd) {
        public boolean unix() {
            return label.startsWith("unix:");
        }
    }

    private final Map<String, Endpoint> open = new LinkedHashMap<>();
    private final Map<String, ControlSocket> unixSockets = new LinkedHashMap<>();

    /**
     * Binds what {@code config} names and is not bound yet, then closes what it no longer
     * names. If a socket cannot be bound, nothing changes and the exception says which.
     * Returns whether the set of endpoints changed.
     */
    public boolean apply(MetricsConfig config, Owner owner) throws IOException {
        List<String> wanted = new ArrayList<>();
        if (config.socket() != null) wanted.add("unix:" + config.socket());
        if (config.listen() != null) wanted.add("tcp:" + config.listen());
        Map<String, Endpoint> added = new LinkedHashMap<>();
        Map<String, ControlSocket> addedUnix = new LinkedHashMap<>();
        try {
            for (String label : wanted) {
                if (open.containsKey(label)) continue;
                if (label.startsWith("unix:")) {
                    ControlSocket s = ControlSocket.open(Path.of(config.socket()), owner, "metrics socket");
                    addedUnix.put(label, s);
                    added.put(label, new Endpoint(label, s.fd()));
                } else {
                    try {
                        added.put(label, new Endpoint(label, TcpSockets.listen(config.listen(), BACKLOG)));
                    } catch (NativeException e) {
                        throw new IOException("metrics listen " + config.listen() + ": " + e.getMessage(), e);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            addedUnix.values().forEach(ControlSocket::close);
            added.values().stream().filter(x -> !x.unix()).forEach(x -> Fds.closeQuietly(x.fd()));
            throw e;
        }
        boolean changed = !added.isEmpty();
        for (String label : List.copyOf(open.keySet())) {
            if (wanted.contains(label)) continue;
            close(label);
            changed = true;
        }
        open.putAll(added);
        unixSockets.putAll(addedUnix);
        for (ControlSocket s : unixSockets.values()) s.owner(owner); // a reload may change the owner alone
        for (String label : added.keySet()) log.info("metrics: serving on {}", label);
        return changed;
    }

    /** The endpoints now open, in vm.conf's order (socket first). */
    public List<Endpoint> endpoints() {
        return List.copyOf(open.values());
    }

    private void close(String label) {
        Endpoint e = open.remove(label);
        ControlSocket s = unixSockets.remove(label);
        if (s != null) s.close(); // also removes the socket file
        else if (e != null) Fds.closeQuietly(e.fd());
        log.info("metrics: no longer serving on {}", label);
    }

    @Override
    public void close() {
        for (String label : List.copyOf(open.keySet())) close(label);
    }
}
