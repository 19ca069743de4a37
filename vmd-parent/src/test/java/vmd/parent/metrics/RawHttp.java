package vmd.parent.metrics;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 by hand over a Unix or TCP socket, for tests that send what no client library
 * would (garbage, pipelined requests) and read exactly what the server answered.
 */
public final class RawHttp implements AutoCloseable {
    public record Response(int status, Map<String, String> headers, String body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final SocketChannel ch;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    private RawHttp(SocketChannel ch) {
        this.ch = ch;
    }

    public static RawHttp unix(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        return new RawHttp(ch);
    }

    public static RawHttp tcp(String host, int port) throws IOException {
        SocketAddress a = new InetSocketAddress(host, port);
        return new RawHttp(SocketChannel.open(a));
    }

    public RawHttp send(String text) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1));
        while (b.hasRemaining()) ch.write(b);
        return this;
    }

    public static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
    }

    /** One response: status line, headers, and Content-Length bytes of body (none for HEAD). */
    public Response read(boolean head) throws IOException {
        String headerBlock = readUntil("\r\n\r\n");
        String[] lines = headerBlock.split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        int length = head ? 0 : Integer.parseInt(headers.getOrDefault("content-length", "0"));
        return new Response(status, headers, new String(readBytes(length), StandardCharsets.UTF_8));
    }

    public Response read() throws IOException {
        return read(false);
    }

    /** Whether the server has closed the connection (reads to end of stream). */
    public boolean closedByServer() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(256);
        while (true) {
            int n = ch.read(b);
            if (n < 0) return true;
            b.clear();
        }
    }

    private String readUntil(String end) throws IOException {
        while (!pending.toString(StandardCharsets.ISO_8859_1).contains(end)) fill();
        String all = pending.toString(StandardCharsets.ISO_8859_1);
        int at = all.indexOf(end) + end.length();
        keep(all.substring(at).getBytes(StandardCharsets.ISO_8859_1));
        return all.substring(0, at - end.length());
    }

    private byte[] readBytes(int n) throws IOException {
        while (pending.size() < n) fill();
        byte[] all = pending.toByteArray();
        keep(java.util.Arrays.copyOfRange(all, n, all.length));
        return java.util.Arrays.copyOf(all, n);
    }

    private void keep(byte[] rest) {
        pending.reset();
        pending.writeBytes(rest);
    }

    private void fill() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8192);
        if (ch.read(b) < 0) throw new IOException("connection closed by the server");
        pending.write(b.array(), 0, b.position());
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
