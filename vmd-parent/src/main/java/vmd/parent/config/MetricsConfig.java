package vmd.parent.config;

/**
 * vm.conf's {@code metrics socket "PATH"} and {@code metrics listen ADDRESS port N} (Linux):
 * where vmd serves its Prometheus metrics, if anywhere (off unless said).
 *
 * @param socket        a Unix socket path, or null
 * @param listenAddress an IPv4 loopback address ("127.0.0.1"), or null
 * @param port          the TCP port with {@code listenAddress}, else 0
 */
public record MetricsConfig(String socket, String listenAddress, int port) {
    public static final MetricsConfig OFF = new MetricsConfig(null, null, 0);

    public MetricsConfig {
        if ((listenAddress == null) != (port == 0)) throw new IllegalArgumentException("an address goes with a port");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port " + port);
    }

    public boolean enabled() {
        return socket != null || listenAddress != null;
    }

    /** {@code address:port}, or null without {@code metrics listen}. */
    public String listen() {
        return listenAddress == null ? null : listenAddress + ":" + port;
    }

    MetricsConfig withSocket(String path) {
        return new MetricsConfig(path, listenAddress, port);
    }

    MetricsConfig withListen(String address, int newPort) {
        return new MetricsConfig(socket, address, newPort);
    }
}
