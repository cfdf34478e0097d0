using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace NodeImager.SelfAssembly.Tests.Benchmark;

/// <summary>How long a step takes on real EC2, with the figure's source. Seconds.</summary>
public sealed record StepDuration(string Step, double Stock, double Golden, string Source);

/// <summary>The workers' polling schedule for the join parameter: first pause, doubling, capped, jittered.</summary>
public sealed record PollSchedule(double FirstPause, double Cap, double JitterLow, double JitterHigh, string Source)
{
    /// <summary>Read from the templates' wait loop (`delay=5`, `delay * 2 > 60 ? 60`, `70 + RANDOM % 61`), so the
    /// model follows the templates; the documented defaults when the loop is not found.</summary>
    public static PollSchedule FromTemplates(string templatesDirectory)
    {
        var text = Directory.Exists(templatesDirectory)
            ? string.Join('\n', Directory.EnumerateFiles(templatesDirectory, "*", SearchOption.AllDirectories).Select(File.ReadAllText))
            : string.Empty;
        var first = Regex.Match(text, @"local deadline delay=(\d+)|\bdelay=(\d+)\b");
        var cap = Regex.Match(text, @"delay \* 2 > (\d+) \? \d+");
        var jitter = Regex.Match(text, @"\((\d+) \+ RANDOM % (\d+)\) / 100");
        if (!first.Success || !cap.Success || !jitter.Success)
        {
            return new(5, 60, 0.7, 1.3, "documented defaults (wait loop not found in " + templatesDirectory + ")");
        }

        var low = int.Parse(jitter.Groups[1].Value, CultureInfo.InvariantCulture);
        var span = int.Parse(jitter.Groups[2].Value, CultureInfo.InvariantCulture);
        var firstPause = int.Parse(first.Groups[1].Success ? first.Groups[1].Value : first.Groups[2].Value, CultureInfo.InvariantCulture);
        return new(firstPause, int.Parse(cap.Groups[1].Value, CultureInfo.InvariantCulture), low / 100.0, (low + span - 1) / 100.0, "templates' wait loop");
    }

    /// <summary>Poll times (seconds after the first poll) at a given jitter factor, up to a horizon.</summary>
    public IReadOnlyList<double> PollTimes(double horizon, double jitter = 1.0)
    {
        var times = new List<double> { 0 };
        var delay = FirstPause;
        while (times[^1] < horizon)
        {
            times.Add(times[^1] + (delay * jitter));
            delay = Math.Min(delay * 2, Cap);
        }

        return times;
    }

    /// <summary>GetParameter calls a waiting worker makes in each minute of waiting (mean jitter).</summary>
    public IReadOnlyList<int> CallsPerMinute(int minutes)
    {
        var times = PollTimes(minutes * 60);
        return [.. Enumerable.Range(0, minutes).Select(m => times.Count(t => t >= m * 60 && t < (m + 1) * 60))];
    }
}

/// <summary>
/// The benchmark model (not a test): from `up` to every node ready, for a master and N workers, stock Ubuntu vs a
/// golden image, using step durations typical of EC2 (documented with their sources) and the templates' poll schedule.
/// Workers finish installing before the master publishes, then join at their next poll.
/// </summary>
public sealed class AssemblyModel(IReadOnlyList<StepDuration> steps, PollSchedule schedule)
{
    /// <summary>Assumed figures. Sources are public measurements and docs; see tests/benchmarks/README.md.</summary>
    public static IReadOnlyList<StepDuration> TypicalSteps { get; } =
    [
        new("launch: RunInstances to running, boot to cloud-init runcmd", 45, 45, "EC2 Ubuntu boot ~30-60 s (AWS EC2 user guide, instance launch; cloud-init analyze on t3.medium)"),
        new("apt: update, repositories, keys", 15, 0, "apt-get update on a fresh image with 2 extra repos: ~10-20 s"),
        new("apt: containerd.io, docker-ce", 35, 0, "two packages ~100 MB from Docker's repo: ~25-45 s"),
        new("apt: kubelet, kubeadm, kubectl (+cri-tools, kubernetes-cni)", 20, 0, "~90 MB from pkgs.k8s.io: ~15-25 s"),
        new("firewalld install + rules", 10, 4, "firewalld package ~5 s, rules and reload ~4 s"),
        new("golden marker check", 0, 2, "reading /etc/nodeimager/golden.json"),
        new("master: kubeadm init (incl. control-plane image pulls)", 80, 45, "kubeadm init ~60-90 s with pulls (kubeadm docs: wait-control-plane up to 4 min; pulls ~20-40 s); images pre-pulled in a golden image"),
        new("master: flannel apply + publish join material", 6, 6, "kubectl apply + one SSM PutParameter"),
        new("worker: kubeadm join (TLS bootstrap, kubelet start)", 25, 20, "kubeadm join ~20-30 s"),
        new("node Ready (flannel + kube-proxy images pulled, CNI up)", 30, 8, "image pulls ~20-40 s on stock; pre-pulled on golden"),
    ];

    private double Sum(bool golden, Func<string, bool> which) =>
        steps.Where(s => which(s.Step)).Sum(s => golden ? s.Golden : s.Stock);

    /// <summary>`up` launches one RunInstances per node (moto and EC2 attach an instance profile reliably that way);
    /// assumed 0.3 s per call, so the last of 50 workers starts ~15 s after the first.</summary>
    public const double LaunchCallSeconds = 0.3;

    /// <summary>Seconds from `up`. AllReady* are for the last worker: its next poll after the master published comes
    /// at once (earliest), half a pause later (typical) or a whole jittered-up pause later (latest).</summary>
    public sealed record Outcome(int Workers, bool Golden, double Published, double MasterReady, double AllReadyEarliest, double AllReadyTypical, double AllReadyLatest, int PollsPerWorker, double PeakGetParameterTps);

    public Outcome Model(int workers, bool golden)
    {
        var boot = Sum(golden, s => s.StartsWith("launch", StringComparison.Ordinal));
        var install = Sum(golden, s => s.StartsWith("apt", StringComparison.Ordinal) || s.StartsWith("firewalld", StringComparison.Ordinal) || s.StartsWith("golden", StringComparison.Ordinal));
        var init = Sum(golden, s => s.StartsWith("master: kubeadm init", StringComparison.Ordinal));
        var publish = Sum(golden, s => s.StartsWith("master: flannel", StringComparison.Ordinal));
        var join = Sum(golden, s => s.StartsWith("worker:", StringComparison.Ordinal));
        var ready = Sum(golden, s => s.StartsWith("node Ready", StringComparison.Ordinal));

        // The master is launched first; worker i is launched i+1 calls later.
        var published = boot + install + init + publish;
        var masterReady = published + ready;
        var lastFirstPoll = ((workers + 1) * LaunchCallSeconds) + boot + install;
        var waited = Math.Max(0, published - lastFirstPoll);
        var polls = schedule.PollTimes(waited + schedule.Cap);
        var before = polls.Count(t => t <= waited);
        var pause = polls[before] - polls[before - 1];
        var tail = join + ready;
        double After(double wait) => Math.Max(masterReady, Math.Max(published, lastFirstPoll) + wait + tail);
        return new Outcome(workers, golden, published, masterReady,
            After(0), After(pause / 2), After(pause * schedule.JitterHigh), before + 1, workers / (schedule.FirstPause * schedule.JitterLow));
    }

    public string Report()
    {
        var text = new StringBuilder();
        text.AppendLine("NodeImager self-assembly model (not a measurement): up -> all nodes Ready");
        text.AppendLine();
        text.AppendLine("Assumed step durations (seconds, stock / golden):");
        foreach (var s in steps)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {s.Step,-62} {s.Stock,5:0} / {s.Golden,-5:0} {s.Source}");
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Worker poll schedule ({schedule.Source}): first pause {schedule.FirstPause:0} s, doubling, capped at {schedule.Cap:0} s, jitter x{schedule.JitterLow:0.00}-{schedule.JitterHigh:0.00}");
        text.AppendLine();
        text.AppendLine("cluster  image    join published  master Ready  all Ready: earliest / typical / latest  GetParameter calls per worker  peak GetParameter TPS");
        foreach (var workers in new[] { 3, 50 })
        {
            foreach (var golden in new[] { false, true })
            {
                var o = Model(workers, golden);
                text.AppendLine(CultureInfo.InvariantCulture, $"1+{workers,-5}  {(golden ? "golden" : "stock"),-7}  {o.Published,9:0} s     {o.MasterReady,7:0} s     {o.AllReadyEarliest,9:0} / {o.AllReadyTypical,5:0} / {o.AllReadyLatest,5:0} s ({o.AllReadyTypical / 60:0.0} min)  {o.PollsPerWorker,8}                  {o.PeakGetParameterTps,10:0.0}");
            }
        }

        text.AppendLine();
        text.AppendLine("SSM GetParameter calls per waiting worker, per minute of waiting (mean jitter): " + string.Join(", ", schedule.CallsPerMinute(6).Select((c, m) => $"min {m + 1}: {c}")));
        text.AppendLine("Parameter Store's default throughput (historically 40 TPS per account and region, shared by Get and Put): 1+50 peaks at the rate above in the first seconds, then falls to 50/60 calls per second once every worker is at the 60 s cap.");
        text.AppendLine(CultureInfo.InvariantCulture, $"Launch: one RunInstances per node at {LaunchCallSeconds} s each (EC2's RunInstances resource bucket, 1000 instances refilled at 2/s, is not reached at 51).");
        text.AppendLine("Not modelled: API server load when 50 kubelets bootstrap at once, registry rate limits, apt mirror load, instance capacity errors.");
        return text.ToString();
    }
}
