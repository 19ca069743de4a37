package vmd.vm;

import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.imsg.ChildFd;
import vmd.imsg.DeviceFailed;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgType;
import vmd.imsg.Reason;
import vmd.imsg.Shutdown;
import vmd.imsg.VmParams;
import vmd.imsg.VmTerminated;
import vmd.proc.ChildSession;
import vmd.sys.Seccomp;

/**
 * The per-VM process: takes its configuration and descriptors from the parent on fd 3,
 * runs the machine, and reports how it ended. Exit status 0 whatever the guest did; the
 * VM_TERMINATED message carries the guest's fate, the exit status only this process's.
 */
public final class VmMain {
    private static final Logger log = LoggerFactory.getLogger(VmMain.class);

    public static void main(String[] args) throws Exception {
        ChildSession session = ChildSession.begin("vm");
        VmParams params = session.config().decode(VmParams::decode);
        Machine machine;
        try {
            machine = Machine.create(params, MachineFds.take(session));
            Machine m = machine;
            session.serveStats(() -> VmStats.samples(params, m.exitCounts()));
            Seccomp.lockDown(); // before the guest runs: no programs, no processes, no namespaces
            machine.start();
        } catch (RuntimeException e) {
            log.error("vm {} failed to start: {}", params.name(), e.getMessage());
            session.channel().send(ImsgType.VM_TERMINATED, new VmTerminated(VmTerminated.ExitKind.ERROR, e.getMessage()));
            session.channel().close();
            System.exit(1);
            return;
        }
        session.channel().send(ImsgType.VM_STARTED, Reason.of(machine.summary()));
        Thread control = new Thread(() -> serve(session, machine), "parent-requests");
        control.setDaemon(true);
        control.start();
        VmTerminated end = machine.awaitEnd();
        log.info("vm {}: {}", params.name(), end.reason());
        session.channel().send(ImsgType.VM_TERMINATED, end);
        session.channel().close();
        System.exit(0);
    }

    /** Requests from the parent while the guest runs. */
    private static void serve(ChildSession session, Machine machine) {
        try {
            while (true) {
                Imsg msg = session.inbox().take();
                if (msg == ChildSession.CLOSED) {
                    machine.kill("parent went away");
                    return;
                }
                switch (msg.type()) {
                    case SHUTDOWN -> machine.shutdown(msg.decode(Shutdown::decode).timeoutMillis(), TimeUnit.MILLISECONDS);
                    case TERMINATE_VM_REQUEST -> machine.kill("stopped");
                    case PAUSE_VM_REQUEST -> {
                        machine.pause();
                        session.channel().send(Imsg.of(ImsgType.PAUSE_VM_RESPONSE));
                    }
                    case UNPAUSE_VM_REQUEST -> {
                        machine.unpause();
                        session.channel().send(Imsg.of(ImsgType.UNPAUSE_VM_RESPONSE));
                    }
                    case SEND_VM_REQUEST -> send(session, machine, msg);
                    case DEVICE_RECONNECT -> machine.backends().reconnect(msg.decode(ChildFd::decode).label(), msg.fd());
                    case DEVICE_FAILED -> {
                        DeviceFailed f = msg.decode(DeviceFailed::decode);
                        machine.backends().failed(f.label(), f.reason());
                    }
                    default -> {
                        log.warn("ignoring unexpected {} from the parent", msg.type());
                        if (msg.hasFd()) vmd.sys.Fds.closeQuietly(msg.fd());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** vmctl send: the stream goes to the descriptor that came with the request. */
    private static void send(ChildSession session, Machine machine, Imsg msg) {
        if (!msg.hasFd()) {
            session.channel().send(ImsgType.SEND_VM_RESPONSE, vmd.imsg.CtlResult.fail(22, "no descriptor to send to"));
            return;
        }
        int fd = msg.fd();
        vmd.imsg.CtlResult result;
        try {
            boolean live = msg.payload().hasRemaining() && (msg.decode(vmd.imsg.VmOp::decode).flags() & vmd.imsg.VmOp.LIVE) != 0;
            result = new vmd.imsg.CtlResult(0, live ? machine.migrateTo(fd) : machine.sendTo(fd));
        } catch (RuntimeException e) {
            result = vmd.imsg.CtlResult.fail(5, Reason.of(String.valueOf(e.getMessage())).text());
        } finally {
            vmd.sys.Fds.closeQuietly(fd);
        }
        session.channel().send(ImsgType.SEND_VM_RESPONSE, result);
        if (result.code() == 0) machine.sent();
    }

    private VmMain() {}
}
