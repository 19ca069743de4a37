package vmd.parent.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import vmd.imsg.CtlCommand;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgProtocolException;
import vmd.imsg.ImsgType;
import vmd.imsg.StartVm;
import vmd.imsg.VmOp;

/**
 * The control protocol as the control process reads it (Jazzer): a client's byte stream,
 * cut into reads where the input says, through the real {@link ImsgFrameDecoder} and
 * {@link ClientRequests#admit}. A stream yields frames until the first malformed one,
 * which surfaces as ImsgProtocolException and ends decoding; an admitted request carries
 * the peer's credentials whatever it claimed and decodes again; a non-root peer never gets
 * a root-only request through. Anything else thrown is a finding.
 */
class ControlProtocolFuzzTest {
    @FuzzTest
    void clientStream(FuzzedDataProvider in) {
        int uid = in.consumeBoolean() ? 0 : 1000 + in.consumeInt(0, 10);
        int gid = in.consumeInt(0, 100);
        List<Imsg> frames = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(new ImsgFrameDecoder(), new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                frames.add((Imsg) msg);
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                failures.add(cause);
            }
        });
        while (in.remainingBytes() > 0) {
            byte[] read = in.consumeBytes(in.consumeInt(1, 20_000));
            ch.writeInbound(Unpooled.wrappedBuffer(read));
        }
        ch.finishAndReleaseAll();
        for (Throwable t : failures) {
            if (!(t instanceof ImsgProtocolException)) throw new AssertionError("decoder threw " + t, t);
        }
        if (failures.size() > 1) throw new AssertionError("decoding went on after a malformed frame: " + failures);
        for (Imsg frame : frames) admitted(frame, uid, gid);
    }

    private static void admitted(Imsg frame, int uid, int gid) {
        Imsg out;
        try {
            out = ClientRequests.admit(frame, 7, uid, gid);
        } catch (ClientRequests.Refused refused) {
            return;
        }
        assertEquals(7, out.peerId());
        switch (out.type()) {
            case START_VM_REQUEST -> assertCredentials(out.decode(StartVm::decode).uid(), out.decode(StartVm::decode).gid(), uid, gid);
            case CTL_VERBOSE, RESET, LOAD, RELOAD -> {
                assertEquals(0, uid, "a root-only request from uid " + uid + " got through");
                CtlCommand c = out.decode(CtlCommand::decode);
                assertCredentials(c.uid(), c.gid(), uid, gid);
            }
            default -> {
                assertNotEquals(ImsgType.CTL_FAIL, out.type());
                VmOp op = out.decode(VmOp::decode);
                assertCredentials(op.uid(), op.gid(), uid, gid);
            }
        }
    }

    private static void assertCredentials(int gotUid, int gotGid, int uid, int gid) {
        assertEquals(uid, gotUid, "credentials come from SO_PEERCRED, not the payload");
        assertEquals(gid, gotGid);
    }
}
