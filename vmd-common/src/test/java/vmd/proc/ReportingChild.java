package vmd.proc;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import vmd.sys.Fds;
import vmd.sys.Signals;
import vmd.sys.UnixSockets;

/**
 * A child for tests: tells the parent it is up ("ready PID\n"), then obeys one line
 * read from fd 3: "exit N", "signal N", "map" (map the memfd that came with the line,
 * check the magic value, write an answer, report its mapping address), "spawn" (spawn a
 * grandchild of its own and report its pid).
 */
public final class ReportingChild {
    public static void main(String[] args) throws Exception {
        int parent = ChildProcess.begin();
        send(parent, "ready " + ProcessHandle.current().pid());
        ByteBuffer in = ByteBuffer.allocate(256);
        while (true) {
            in.clear();
            UnixSockets.Received r = UnixSockets.receive(parent, in);
            if (r.eof()) System.exit(0);
            String[] cmd = new String(in.array(), 0, r.bytes(), StandardCharsets.US_ASCII).trim().split(" ");
            switch (cmd[0]) {
                case "exit" -> System.exit(Integer.parseInt(cmd[1]));
                case "signal" -> Signals.kill((int) ProcessHandle.current().pid(), Integer.parseInt(cmd[1]));
                case "map" -> send(parent, MemoryPeer.serve(r.fds()[0], Long.parseLong(cmd[1])));
                case "spawn" -> {
                    Child grandchild = new ChildLauncher(JvmCommand.current(), new Reaper()).spawn(
                            new ChildSpec("test", "grandchild", ReportingChild.class.getName(), java.util.List.of(), Privileges.UNCHANGED));
                    send(parent, "spawned " + grandchild.pid());
                }
                case "seccomp" -> {
                    vmd.sys.Seccomp.lockDown(41); // as vioblk: no sockets either
                    String spawn;
                    try {
                        new ProcessBuilder("/bin/true").start().waitFor();
                        spawn = "allowed";
                    } catch (java.io.IOException e) {
                        spawn = "refused";
                    }
                    Thread t = new Thread(() -> { }); // threads still work
                    t.start();
                    t.join();
                    String sock;
                    try (var ch = java.nio.channels.SocketChannel.open()) {
                        sock = "allowed";
                    } catch (java.io.IOException e) {
                        sock = "refused";
                    }
                    send(parent, "seccomp spawn=" + spawn + " socket=" + sock + " mode=" + Files.readAllLines(Path.of("/proc/self/status"))
                            .stream().filter(l -> l.startsWith("Seccomp:")).findFirst().orElse("?").split("\\s+")[1]);
                }
                case "status" -> send(parent, "nnp " + Files.readAllLines(Path.of("/proc/self/status")).stream()
                        .filter(l -> l.startsWith("NoNewPrivs:")).findFirst().orElse("?").split("\\s+")[1]);
                default -> send(parent, "unknown " + cmd[0]);
            }
        }
    }

    static void send(int fd, String line) {
        UnixSockets.sendFully(fd, ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.US_ASCII)));
    }

    private ReportingChild() {}

    /** Keeps Fds referenced for readers: the child closes nothing by hand; exit closes all. */
    static final Class<?> USES = Fds.class;
}
