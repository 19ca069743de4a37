package vmd.parent.control;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.PeerCredentials;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.imsg.CtlResult;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgEncoder;
import vmd.imsg.ImsgType;

/**
 * The control socket's server, in the unprivileged control process: accepts vmctl
 * clients on the listening socket the parent created, learns each peer's uid and gid
 * (SO_PEERCRED), checks and stamps every request ({@link ClientRequests}) and forwards it
 * to the parent tagged with the client's peer id; replies from the parent go back to that
 * client. A client that misbehaves gets CTL_FAIL and is disconnected; nobody else notices.
 *
 * <p>Connections that hold a slot without asking anything cannot lock vmctl out: one that
 * has not sent a whole request within {@link #FIRST_REQUEST_MILLIS} (10 s) is closed, and when
 * all slots are taken a newcomer takes the slot of the oldest such connection. Only when
 * every slot has a request behind it is a newcomer refused.
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);

    /** vmctl sends its request right after connecting; a silent peer is holding a slot. */
    static final long FIRST_REQUEST_MILLIS = 10_000;
    private static final io.netty.util.AttributeKey<Client> CLIENT = io.netty.util.AttributeKey.valueOf("vmd.client");

    /** Where admitted requests go (the parent's channel, or a test double). */
    public interface Upstream {
        void forward(Imsg request);

        /** A client disconnected: any wait registered for it is moot. */
        void peerClosed(int peerId);
    }

    private final int listenFd;
    private final int maxClients;
    private final int maxBuffered;
    private final long firstRequestMillis;
    private final Upstream upstream;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final Map<Integer, Channel> clients = new ConcurrentHashMap<>();
    private final AtomicInteger nextPeerId = new AtomicInteger(1);
    private final AtomicInteger connected = new AtomicInteger();
    private Channel server;

    public ControlServer(int listenFd, int maxClients, int maxBufferedBytes, Upstream upstream) {
        this(listenFd, maxClients, maxBufferedBytes, FIRST_REQUEST_MILLIS, upstream);
    }

    ControlServer(int listenFd, int maxClients, int maxBufferedBytes, long firstRequestMillis, Upstream upstream) {
        this.firstRequestMillis = firstRequestMillis;
        this.listenFd = listenFd;
        this.maxClients = maxClients;
        this.maxBuffered = maxBufferedBytes;
        this.upstream = upstream;
    }

    public void start() throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channelFactory(() -> new EpollServerDomainSocketChannel(listenFd, true))
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(maxBuffered / 2, maxBuffered))
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new ImsgFrameDecoder(), new Client());
                    }
                });
        server = b.register().sync().channel();
        log.debug("control socket ready (fd {})", listenFd);
    }

    /** Number of clients connected now. */
    public int clientCount() {
        return connected.get();
    }

    /** A reply from the parent: to the client it names, if it is still there. */
    public void deliver(Imsg reply) {
        Channel ch = clients.get(reply.peerId());
        if (ch == null) {
            log.debug("reply {} for gone client {}", reply.type(), reply.peerId());
            return;
        }
        write(ch, reply.withPeerId(0));
    }

    private void write(Channel ch, Imsg msg) {
        if (!ch.isActive()) return;
        if (ch.unsafe().outboundBuffer() != null && ch.unsafe().outboundBuffer().totalPendingWriteBytes() > maxBuffered) {
            log.warn("control: client {} does not read its replies; disconnecting", ch.attr(Client.PEER).get());
            ch.close();
            return;
        }
        ch.writeAndFlush(Unpooled.wrappedBuffer(ImsgEncoder.encode(msg)));
    }

    /**
     * Closes the connection that has waited longest without sending a request, to make
     * room for a new one; false if every client has asked for something.
     */
    private boolean evictASilentClient() {
        Channel victim = null;
        long oldest = Long.MAX_VALUE;
        for (Channel ch : clients.values()) {
            Client c = ch.attr(CLIENT).get();
            if (c == null || c.requested || !ch.isActive()) continue;
            if (c.connectedAt < oldest) {
                oldest = c.connectedAt;
                victim = ch;
            }
        }
        if (victim == null) return false;
        log.debug("control: all {} slots taken; closing silent {}", maxClients, victim.attr(Client.PEER).get());
        victim.close(); // on this event loop: inactive at once, so never picked twice
        return true;
    }

    @Override
    public void close() {
        if (server != null) server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private final class Client extends ChannelInboundHandlerAdapter {
        static final io.netty.util.AttributeKey<String> PEER = io.netty.util.AttributeKey.valueOf("vmd.peer");
        private int peerId;
        private int uid = -1, gid = -1;
        private boolean admitted;
        /** A send/receive request waiting for its stream descriptor (event loop only). */
        private Imsg awaitingStream;
        /** Set once a whole request arrived: from then on the slot is in use, not held. */
        private volatile boolean requested;
        private long connectedAt;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel ch = ctx.channel();
            connectedAt = System.nanoTime();
            if (connected.incrementAndGet() > maxClients && !evictASilentClient()) {
                log.warn("control: too many clients ({}), refusing a connection", maxClients);
                fail(ctx, ClientRequests.EINVAL, "too many clients; try again later");
                return;
            }
            admitted = true;
            ch.attr(CLIENT).set(this);
            try {
                PeerCredentials cred = ((EpollDomainSocketChannel) ch).peerCredentials();
                uid = cred.uid();
                int[] gids = cred.gids();
                gid = gids.length > 0 ? gids[0] : -1;
            } catch (Exception e) {
                log.warn("control: failed to get peer credentials: {}", e.toString());
                ch.close();
                return;
            }
            peerId = nextPeerId.getAndUpdate(v -> v == Integer.MAX_VALUE ? 1 : v + 1);
            ch.attr(PEER).set("peer " + peerId + " (uid " + uid + ")");
            clients.put(peerId, ch);
            ctx.executor().schedule(() -> {
                if (!requested && ch.isActive()) {
                    log.debug("control: {} sent no request in {} ms; closing", ch.attr(PEER).get(), firstRequestMillis);
                    ch.close();
                }
            }, firstRequestMillis, TimeUnit.MILLISECONDS);
            log.debug("control: {} connected", ch.attr(PEER).get());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof io.netty.channel.unix.FileDescriptor fd) {
                streamArrived(ctx, fd);
                return;
            }
            if (!(msg instanceof Imsg request) || !admitted || peerId == 0) return;
            if (awaitingStream != null) {
                fail(ctx, ClientRequests.EINVAL, "a request arrived before the stream descriptor");
                return;
            }
            requested = true;
            Imsg forward;
            try {
                forward = ClientRequests.admit(request, peerId, uid, gid);
            } catch (ClientRequests.Refused r) {
                log.warn("control: {}: {}", ctx.channel().attr(PEER).get(), r.getMessage());
                fail(ctx, r.code, r.getMessage());
                return;
            }
            if (ClientRequests.needsStream(forward)) {
                awaitStream(ctx, forward);
                return;
            }
            try {
                upstream.forward(forward);
            } catch (RuntimeException e) {
                log.error("control: cannot forward to the parent: {}", e.getMessage());
                fail(ctx, 5 /* EIO */, "vmd is not answering");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof vmd.imsg.ImsgProtocolException) {
                log.warn("control: {}: {}", ctx.channel().attr(PEER).get(), cause.getMessage());
                fail(ctx, ClientRequests.EBADMSG, "bad message: " + cause.getMessage());
            } else {
                log.debug("control: {}: {}", ctx.channel().attr(PEER).get(), cause.toString());
                ctx.close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            connected.decrementAndGet();
            if (peerId != 0 && clients.remove(peerId) != null) {
                try {
                    upstream.peerClosed(peerId);
                } catch (RuntimeException e) {
                    log.debug("control: peer-closed notice not sent: {}", e.getMessage());
                }
            }
        }

        /**
         * vmctl send/receive: the client's stdout or stdin is the stream. Descriptors are
         * read only now, for one message: this channel switches to reading descriptors,
         * tells the client to send it, and switches back once it came (or closes after
         * {@code firstRequestMillis}). Any other time, descriptors sent here are dropped by
         * the kernel with the bytes they came with.
         */
        private void awaitStream(ChannelHandlerContext ctx, Imsg request) {
            awaitingStream = request;
            ((EpollDomainSocketChannel) ctx.channel()).config().setReadMode(io.netty.channel.unix.DomainSocketReadMode.FILE_DESCRIPTORS);
            ctx.writeAndFlush(Unpooled.wrappedBuffer(ImsgEncoder.encode(Imsg.of(ImsgType.STREAM_FD_READY))));
            ctx.executor().schedule(() -> {
                if (awaitingStream == request && ctx.channel().isActive()) {
                    log.debug("control: {} sent no stream descriptor; closing", ctx.channel().attr(PEER).get());
                    ctx.close();
                }
            }, firstRequestMillis, TimeUnit.MILLISECONDS);
        }

        private void streamArrived(ChannelHandlerContext ctx, io.netty.channel.unix.FileDescriptor fd) {
            Imsg request = awaitingStream;
            awaitingStream = null;
            ((EpollDomainSocketChannel) ctx.channel()).config().setReadMode(io.netty.channel.unix.DomainSocketReadMode.BYTES);
            int n = fd.intValue();
            if (request == null) {
                vmd.sys.Fds.closeQuietly(n);
                fail(ctx, ClientRequests.EINVAL, "unexpected descriptor");
                return;
            }
            try {
                upstream.forward(request.withFd(n));
            } catch (RuntimeException e) {
                log.error("control: cannot forward to the parent: {}", e.getMessage());
                fail(ctx, 5 /* EIO */, "vmd is not answering");
            } finally {
                vmd.sys.Fds.closeQuietly(n); // the parent has its own copy now
            }
        }

        /** CTL_FAIL with a message, then disconnect once it is written. */
        private void fail(ChannelHandlerContext ctx, int code, String message) {
            admitted = false;
            Imsg m = Imsg.of(ImsgType.CTL_FAIL, CtlResult.fail(code, vmd.imsg.Reason.of(message).text()));
            ctx.writeAndFlush(Unpooled.wrappedBuffer(ImsgEncoder.encode(m))).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
