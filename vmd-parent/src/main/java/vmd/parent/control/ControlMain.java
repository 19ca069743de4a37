package vmd.parent.control;

import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.imsg.ControlParams;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgType;
import vmd.imsg.Reason;
import vmd.parent.metrics.MetricsServer;
import vmd.parent.metrics.Scrapes;
import vmd.proc.ChildSession;
import vmd.proc.Logging;
import vmd.sys.Fds;

/**
 * "vmd control": the unprivileged process that owns the control socket. The parent binds
 * the socket (it alone may create /run/vmd.sock and give it its owner) and hands over the
 * listening descriptor; this process accepts vmctl clients and relays their requests. It
 * also serves the metrics endpoints, whose sockets the parent passes the same way.
 */
public final class ControlMain {
    private static final Logger log = LoggerFactory.getLogger(ControlMain.class);

    private ControlMain() {}

    public static void main(String[] args) throws Exception {
        ChildSession session = ChildSession.begin("control");
        ControlParams params = session.config().decode(ControlParams::decode);
        if (params.verbosity() > 0) Logging.setLevel(params.verbosity() > 1 ? "TRACE" : "DEBUG");
        int fd = session.takeFd(ControlParams.FD_LISTENER);
        if (fd < 0) throw new IllegalStateException("no control socket from the parent");
        Fds.setNonBlocking(fd, true);
        ControlServer server = new ControlServer(fd, params.maxClients(), params.maxBufferedBytes(), new ControlServer.Upstream() {
            @Override
            public void forward(Imsg request) {
                session.channel().send(request);
            }

            @Override
            public void peerClosed(int peerId) {
                session.channel().send(Imsg.of(ImsgType.CTL_PEER_CLOSED).withPeerId(peerId));
            }
        });
        server.start();
        Scrapes scrapes = new Scrapes(session.channel()::send);
        MetricsServer metrics = new MetricsServer(scrapes);
        log.debug("control process ready");
        while (true) {
            Imsg msg = session.inbox().poll(1, TimeUnit.HOURS);
            if (msg == null) continue;
            if (msg == ChildSession.CLOSED || msg.type() == ImsgType.SHUTDOWN) break;
            switch (msg.type()) {
                case METRICS_SERVE -> metrics.serve(msg.fd(), msg.decode(Reason::decode).text());
                case METRICS_STOP -> metrics.stopListening();
                case STATS_RESPONSE, STATS_END -> scrapes.deliver(msg);
                default -> server.deliver(msg);
            }
        }
        metrics.close();
        server.close();
        System.exit(0);
    }
}
