package vmd.parent.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import jnr.unixsocket.UnixServerSocketChannel;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import vmd.parent.config.Owner;

/**
 * The listening control socket, created by the parent as OpenBSD's control_init(): refuse
 * to start if another vmd answers on it, remove a stale one, bind, then mode 0660 owned by
 * {@code socket owner} (default root:root) — its user and group may connect. The
 * descriptor goes to the control process; the parent keeps this object (and so the
 * descriptor) to respawn the control process if it dies.
 */
public final class ControlSocket implements AutoCloseable {
    public static final Path DEFAULT_PATH = Path.of("/run/vmd.sock");
    /** Overrides the default path for vmd and vmctl (tests, a second daemon). */
    public static final String ENV = "VMD_SOCKET";
    static final int BACKLOG = 128;

    private final Path path;
    private final UnixServerSocketChannel channel;

    private ControlSocket(Path path, UnixServerSocketChannel channel) {
        this.path = path;
        this.channel = channel;
    }

    /** The socket path: {@code explicit} if given, else $VMD_SOCKET, else /run/vmd.sock. */
    public static Path resolve(String explicit) {
        if (explicit != null) return Path.of(explicit);
        String env = System.getenv(ENV);
        return env != null && !env.isEmpty() ? Path.of(env) : DEFAULT_PATH;
    }

    public static ControlSocket open(Path path, Owner owner) throws IOException {
        return open(path, owner, "control socket");
    }

    /** The same for another of the parent's listening sockets ({@code what}: "metrics socket"), for its messages. */
    public static ControlSocket open(Path path, Owner owner, String what) throws IOException {
        UnixSocketAddress addr = new UnixSocketAddress(path.toFile());
        if (Files.exists(path)) {
            boolean live;
            try (UnixSocketChannel probe = UnixSocketChannel.open(addr)) {
                live = probe.isConnected();
            } catch (IOException e) {
                live = false;
            }
            if (live) throw new IOException(what + " " + path + " is in use: is another vmd running?");
            Files.delete(path);
        }
        UnixServerSocketChannel ch = UnixServerSocketChannel.open();
        try {
            ch.socket().bind(addr, BACKLOG);
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
            Files.setAttribute(path, "unix:uid", owner.hasUid() ? owner.uid() : 0);
            Files.setAttribute(path, "unix:gid", owner.hasGid() ? owner.gid() : 0);
        } catch (IOException | RuntimeException e) {
            ch.close();
            Files.deleteIfExists(path);
            throw e;
        }
        return new ControlSocket(path, ch);
    }

    /** Applies a (re)loaded {@code socket owner}, as OpenBSD's control_reset(). */
    public void owner(Owner owner) throws IOException {
        Files.setAttribute(path, "unix:uid", owner.hasUid() ? owner.uid() : 0);
        Files.setAttribute(path, "unix:gid", owner.hasGid() ? owner.gid() : 0);
    }

    public Path path() {
        return path;
    }

    public int fd() {
        return channel.getFD();
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing a listening socket does not fail in a way we could act on
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // best effort: a stale socket is removed at the next start
        }
    }
}
