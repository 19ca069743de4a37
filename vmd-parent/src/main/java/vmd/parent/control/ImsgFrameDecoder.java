package vmd.parent.control;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgDecoder;

/**
 * Netty inbound codec: bytes from a vmctl client in, {@link Imsg} messages out. The framing
 * and every header check is {@link ImsgDecoder}'s; it buffers at most one partial frame
 * (16 KiB) beyond what arrived in the current read. No descriptors travel on this socket.
 * A malformed stream surfaces as an {@link vmd.imsg.ImsgProtocolException} through
 * {@code exceptionCaught}, and nothing more is decoded for that client.
 */
final class ImsgFrameDecoder extends ChannelInboundHandlerAdapter {
    private final ImsgDecoder decoder = new ImsgDecoder();
    private boolean failed;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (failed) return;
            decoder.feed(buf.nioBuffer());
        } finally {
            ReferenceCountUtil.release(msg);
        }
        try {
            for (Imsg m; (m = decoder.next()) != null; ) ctx.fireChannelRead(m);
        } catch (RuntimeException e) {
            failed = true;
            ctx.fireExceptionCaught(e);
        }
    }

    /** Bytes of an incomplete frame at end of stream. */
    int pendingBytes() {
        return decoder.pendingBytes();
    }
}
