package vmd.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A vhost-user-blk back-end process serving one image on a Unix socket. */
final class Backend implements AutoCloseable {
    final String name;
    final Process process;
    final Path socket;
    final Path log;
    final List<String> command;

    private Backend(String name, List<String> command, Path socket, Path log) throws IOException {
        this.name = name;
        this.command = command;
        this.socket = socket;
        this.log = log;
        Files.deleteIfExists(socket);
        this.process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Our vioblk as a standalone vhost-user back-end: {@code java ... vmd.vioblk.VioblkMain --socket-path SOCK IMAGE}. */
    static Backend vioblk(String java, List<String> jvmFlags, String classpath, Path image, Path dir, String tag)
            throws IOException {
        Path sock = dir.resolve("vioblk-" + tag + ".sock");
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(jvmFlags);
        cmd.add("-Dvmd.process=vioblk-bench");
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add("vmd.vioblk.VioblkMain");
        cmd.add("--socket-path");
        cmd.add(sock.toString());
        cmd.add(image.toString());
        return new Backend("vmd vioblk", cmd, sock, dir.resolve("vioblk-" + tag + ".log"));
    }

    /**
     * qemu-storage-daemon's vhost-user-blk export, configured like ours: buffered I/O
     * through the host page cache ({@code cache.direct=off}), AIO {@code aio} (QEMU's default: threads),
     * no iothread, one queue; a qcow2 format node over the file node for qcow2 images.
     */
    static Backend qsd(String qsd, String aio, Path image, String format, Path dir, String tag) throws IOException {
        Path sock = dir.resolve("qsd-" + tag + ".sock");
        List<String> cmd = new ArrayList<>(List.of(qsd,
                "--blockdev", "driver=file,node-name=file0,filename=" + image + ",cache.direct=off,aio=" + aio));
        String node = "file0";
        if (format.equals("qcow2")) {
            cmd.add("--blockdev");
            cmd.add("driver=qcow2,node-name=fmt0,file=file0");
            node = "fmt0";
        }
        cmd.add("--export");
        cmd.add("type=vhost-user-blk,id=exp0,node-name=" + node + ",addr.type=unix,addr.path=" + sock
                + ",writable=on,num-queues=1");
        return new Backend("qemu-storage-daemon", cmd, sock, dir.resolve("qsd-" + tag + ".log"));
    }

    /** Waits for the listening socket. */
    void awaitSocket(long millis) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (!Files.exists(socket)) {
            if (!process.isAlive()) {
                throw new IOException(name + " exited with status " + process.exitValue() + ": " + tail());
            }
            if (System.currentTimeMillis() > deadline) throw new IOException(name + " did not create " + socket + ": " + tail());
            Thread.sleep(5);
        }
    }

    String tail() {
        try {
            String s = Files.readString(log);
            return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
        } catch (IOException e) {
            return "(no log)";
        }
    }

    long pid() {
        return process.pid();
    }

    /** VmRSS, VmHWM, RssAnon, RssShmem in KiB from /proc/PID/status (-1 where absent). */
    Memory memory() throws IOException {
        long rss = -1, hwm = -1, anon = -1, shmem = -1;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
            String[] f = line.split("\\s+");
            if (f.length < 2) continue;
            switch (f[0]) {
                case "VmRSS:" -> rss = Long.parseLong(f[1]);
                case "VmHWM:" -> hwm = Long.parseLong(f[1]);
                case "RssAnon:" -> anon = Long.parseLong(f[1]);
                case "RssShmem:" -> shmem = Long.parseLong(f[1]);
                default -> { }
            }
        }
        return new Memory(rss, hwm, anon, shmem);
    }

    record Memory(long rssKiB, long hwmKiB, long anonKiB, long shmemKiB) {}

    @Override
    public void close() throws InterruptedException {
        process.destroy(); // SIGTERM: both exit on it
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
    }
}
