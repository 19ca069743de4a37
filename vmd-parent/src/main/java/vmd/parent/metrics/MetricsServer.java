package vmd.parent.metrics;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.sys.Fds;

/**
 * The metrics endpoints' HTTP server, in the unprivileged control process, on the listening
 * sockets the parent bound and passed down. Bounded like the control socket: at most
 * {@link #MAX_CONNECTIONS} connections, requests of a few KiB, a connection silent for
 * {@link #IDLE_SECONDS} closed. Its event loop starts with the first endpoint.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsServer.class);
    static final int MAX_CONNECTIONS = 32;
    static final int IDLE_SECONDS = 120;
    /** Request line, headers, and a body (which GET does not have), each at most this. */
    static final int MAX_INITIAL_LINE = 4096, MAX_HEADERS = 8192, MAX_BODY = 4096;

    private final Scrapes scrapes;
    private final List<Channel> listeners = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private EventLoopGroup group;

    public MetricsServer(Scrapes scrapes) {
        this.scrapes = scrapes;
    }

    /** Serves HTTP on the listening socket {@code fd} (now this server's), named {@code label} ("unix:PATH", "tcp:A:P"). */
    public synchronized void serve(int fd, String label) {
        if (group == null) group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        Fds.setNonBlocking(fd, true);
        boolean unix = label.startsWith("unix:");
        ServerBootstrap b = new ServerBootstrap().group(group)
                .channelFactory(() -> unix ? new EpollServerDomainSocketChannel(fd, true) : (ServerChannel) new EpollServerSocketChannel(fd))
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new ConnectionLimit(),
                                new ReadTimeoutHandler(IDLE_SECONDS, TimeUnit.SECONDS),
                                new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADERS, MAX_BODY),
                                new HttpObjectAggregator(MAX_BODY),
                                new MetricsHttpHandler(scrapes::scrape));
                    }
                });
        try {
            listeners.add(b.register().sync().channel());
            log.info("metrics: serving HTTP on {}", label.replaceFirst("^(unix|tcp):", ""));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            Fds.closeQuietly(fd);
        } catch (RuntimeException e) {
            log.error("metrics: cannot serve on {}: {}", label, e.toString());
            Fds.closeQuietly(fd);
        }
    }

    /** Closes every listening socket (the connections they accepted finish on their own). */
    public synchronized void stopListening() {
        for (Channel c : listeners) c.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        listeners.clear();
    }

    @Override
    public synchronized void close() {
        stopListening();
        if (group != null) group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** Closes a connection beyond {@link #MAX_CONNECTIONS} at once. */
    private final class ConnectionLimit extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (connections.incrementAndGet() > MAX_CONNECTIONS) {
                log.warn("metrics: more than {} connections; closing one", MAX_CONNECTIONS);
                ctx.close();
                return;
            }
            ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            connections.decrementAndGet();
            ctx.fireChannelInactive();
        }
    }
}
