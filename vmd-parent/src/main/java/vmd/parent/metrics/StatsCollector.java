package vmd.parent.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.imsg.Imsg;
import vmd.imsg.ImsgType;
import vmd.imsg.StatsSample;
import vmd.imsg.StatsSamples;
import vmd.metrics.Metric;
import vmd.parent.vms.DeviceProcess;
import vmd.parent.vms.Vm;
import vmd.parent.vms.VmProcess;
import vmd.parent.vms.VmRegistry;

/**
 * The parent's side of a scrape: on the control process's STATS_REQUEST, asks every vm and
 * device process at once, gives each {@link #ANSWER_MILLIS} to answer, and sends the control
 * process its own samples and every answer, as STATS_RESPONSEs and a STATS_END. A process
 * that does not answer in time is left out of that scrape (and counted); nothing waits on
 * it, and the event thread never waits at all.
 *
 * <p>A child's samples are checked against the catalog (its own metrics, their labels and
 * nothing else) and get their {@code vm} and {@code disk} or {@code interface} labels here:
 * a process cannot speak for another VM or device.
 */
public final class StatsCollector {
    private static final Logger log = LoggerFactory.getLogger(StatsCollector.class);
    /** How long a child has to answer one scrape. */
    public static final long ANSWER_MILLIS = 500;

    /** One process to ask: its kind, the labels the parent gives its samples, and how to ask it. */
    record Child(String name, Metric.Source kind, List<StatsSample.Label> labels,
                 Supplier<CompletableFuture<List<StatsSample>>> ask) {
    }

    private final VmRegistry registry;
    private final IntSupplier controlPid;
    private final Consumer<Imsg> toControl;

    public StatsCollector(VmRegistry registry, IntSupplier controlPid, Consumer<Imsg> toControl) {
        this.registry = registry;
        this.controlPid = controlPid;
        this.toControl = toControl;
    }

    /** A STATS_REQUEST from the control process; on the event thread. */
    public void scrape(Imsg request) {
        int scrapeId = request.peerId();
        List<Vm> vms = registry.all();
        List<StatsSample> own = ParentSamples.of(vms, ProcessHandle.current().pid(), controlPid.getAsInt());
        collect(own, children(vms), ANSWER_MILLIS).thenAccept(samples -> {
            for (StatsSamples chunk : StatsSamples.chunks(samples)) {
                toControl.accept(Imsg.of(ImsgType.STATS_RESPONSE, chunk).withPeerId(scrapeId));
            }
            toControl.accept(Imsg.of(ImsgType.STATS_END).withPeerId(scrapeId));
        });
    }

    /** Every running vm process and device process, in VM order, each with its labels. */
    private List<Child> children(List<Vm> vms) {
        List<Child> out = new ArrayList<>();
        for (Vm vm : vms) {
            VmProcess p = registry.process(vm);
            if (p == null) continue;
            out.add(new Child("vm " + vm.name(), Metric.Source.VM, StatsSample.labels("vm", vm.name()), p::stats));
            for (DeviceProcess d : vm.devices()) {
                if (!d.alive()) continue;
                boolean disk = d.kind().equals("vioblk");
                out.add(new Child(d.name(), disk ? Metric.Source.VIOBLK : Metric.Source.VIONET,
                        StatsSample.labels("vm", vm.name(), disk ? "disk" : "interface", d.device()), d::stats));
            }
        }
        return out;
    }

    /**
     * {@code own}, then each child's acceptable samples with its labels, then how many did
     * not answer within {@code answerMillis}: completes once every child has answered or
     * run out of time.
     */
    static CompletableFuture<List<StatsSample>> collect(List<StatsSample> own, List<Child> children, long answerMillis) {
        List<CompletableFuture<List<StatsSample>>> answers = new ArrayList<>();
        for (Child c : children) {
            CompletableFuture<List<StatsSample>> a;
            try {
                a = c.ask().get();
            } catch (RuntimeException e) {
                a = CompletableFuture.failedFuture(e);
            }
            // Timing out completes the request itself, so it is forgotten, and a late answer dropped.
            answers.add(a.completeOnTimeout(null, answerMillis, TimeUnit.MILLISECONDS).exceptionally(e -> null));
        }
        return CompletableFuture.allOf(answers.toArray(new CompletableFuture[0])).thenApply(v -> {
            List<StatsSample> all = new ArrayList<>(own);
            int unanswered = 0;
            for (int i = 0; i < children.size(); i++) {
                List<StatsSample> answer = answers.get(i).join();
                if (answer == null) {
                    unanswered++;
                    log.debug("metrics: {} did not answer within {} ms", children.get(i).name(), answerMillis);
                    continue;
                }
                accept(children.get(i), answer, all);
            }
            all.add(Metric.SCRAPE_UNANSWERED.sample(unanswered));
            return all;
        });
    }

    private static void accept(Child c, List<StatsSample> answer, List<StatsSample> into) {
        int refused = 0;
        for (StatsSample s : answer) {
            if (Metric.acceptable(s, c.kind())) into.add(s.withLabels(c.labels()));
            else refused++;
        }
        if (refused > 0) log.warn("metrics: {} sent {} sample(s) that are not its own metrics; dropped", c.name(), refused);
    }
}
