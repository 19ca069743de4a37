package vmd.parent.metrics;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.imsg.StatsSample;

/**
 * One metrics HTTP connection: {@code GET /metrics} (or HEAD) is a scrape, answered 200 in
 * the text format; another path is 404, another method 405, and a request the codec could
 * not parse 400, after which the connection closes. While a scrape is under way the
 * connection reads nothing more, and what was already read waits, so pipelined requests
 * are answered in order.
 */
final class MetricsHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(MetricsHttpHandler.class);
    static final String PATH = "/metrics";

    /** Pipelined requests that arrived in one read with a scrape: more and the client is not a scraper. */
    static final int MAX_QUEUED = 16;

    private final Supplier<CompletableFuture<List<StatsSample>>> scrape;
    /** Requests read while a scrape was under way, answered after it (event loop only). */
    private final ArrayDeque<FullHttpRequest> queued = new ArrayDeque<>();
    private boolean scraping;

    MetricsHttpHandler(Supplier<CompletableFuture<List<StatsSample>>> scrape) {
        this.scrape = scrape;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (!scraping) {
            handle(ctx, req);
        } else if (queued.size() < MAX_QUEUED) {
            queued.add(req.retain());
        } else {
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        queued.forEach(FullHttpRequest::release);
        queued.clear();
        ctx.fireChannelInactive();
    }

    /** Answers the requests that waited for a scrape, until one starts another. */
    private void drain(ChannelHandlerContext ctx) {
        FullHttpRequest next;
        while (!scraping && ctx.channel().isActive() && (next = queued.poll()) != null) {
            try {
                handle(ctx, next);
            } finally {
                next.release();
            }
        }
    }

    private void handle(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (req.decoderResult().isFailure()) {
            log.debug("metrics: bad request from {}: {}", ctx.channel().remoteAddress(), req.decoderResult().cause().toString());
            respond(ctx, HttpResponseStatus.BAD_REQUEST, "bad request\n", false, false);
            return;
        }
        String path;
        try {
            path = new QueryStringDecoder(req.uri()).path();
        } catch (IllegalArgumentException e) {
            respond(ctx, HttpResponseStatus.BAD_REQUEST, "bad request\n", false, false);
            return;
        }
        if (req.protocolVersion().majorVersion() != 1 || req.protocolVersion().minorVersion() > 1) {
            respond(ctx, HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "HTTP/1.0 or HTTP/1.1 only\n", false, false);
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        if (!path.equals(PATH)) {
            respond(ctx, HttpResponseStatus.NOT_FOUND, "not found; the metrics are at " + PATH + "\n", keepAlive, false);
            return;
        }
        boolean head = req.method().equals(HttpMethod.HEAD);
        if (!head && !req.method().equals(HttpMethod.GET)) {
            FullHttpResponse r = response(HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET and HEAD\n", false);
            r.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            send(ctx, r, keepAlive);
            return;
        }
        scraping = true;
        ctx.channel().config().setAutoRead(false);
        scrape.get().whenComplete((samples, failed) -> ctx.executor().execute(() -> {
            if (failed != null) {
                log.warn("metrics: scrape failed: {}", failed.toString());
                respond(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "vmd did not answer in time\n", keepAlive, head);
            } else {
                FullHttpResponse r = response(HttpResponseStatus.OK, PrometheusText.render(samples), head);
                r.headers().set(HttpHeaderNames.CONTENT_TYPE, PrometheusText.CONTENT_TYPE);
                send(ctx, r, keepAlive);
            }
            scraping = false;
            ctx.channel().config().setAutoRead(true);
            if (keepAlive) drain(ctx);
        }));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("metrics: connection {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    private static void respond(ChannelHandlerContext ctx, HttpResponseStatus status, String text, boolean keepAlive, boolean head) {
        FullHttpResponse r = response(status, text, head);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        send(ctx, r, keepAlive);
    }

    /** A response with {@code body}, whose length it declares; a HEAD's carries no body. */
    private static FullHttpResponse response(HttpResponseStatus status, String body, boolean head) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes));
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        return r;
    }

    private static void send(ChannelHandlerContext ctx, FullHttpResponse r, boolean keepAlive) {
        if (!keepAlive) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(r);
        }
    }
}
