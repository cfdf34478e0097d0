using Amazon.EC2.Model;
using Microsoft.Extensions.DependencyInjection;
using NodeImager.Aws;
using NodeImager.Aws.Tests.Support;
using NodeImager.Cli.Infrastructure;
using NodeImager.Core.Model;
using NodeImager.Core.Remote;
using NodeImager.Core.Tests.Remote;
using NodeImager.SelfAssembly.Tests.Simulation;
using Spectre.Console;
using static NodeImager.SelfAssembly.Tests.Rendered.RenderedClusterLaunch;

namespace NodeImager.SelfAssembly.Tests.Demo;

/// <summary>What the demo was asked to do. Pace scales the typical EC2 step durations (1 = real time, 0 = instant).</summary>
public sealed record DemoOptions(string Home, string Name = "demo", int Workers = 3, double Pace = 0.1);

/// <summary>What happened, for the caller's exit code and for the test that keeps the demo true.
/// The kubeconfig as `up` wrote it and its mode are read before `down` removes the cluster's folder.</summary>
public sealed record DemoOutcome(int UpExitCode, int StatusExitCode, int DownExitCode, int Joined, (string Text, UnixFileMode Mode)? Kubeconfig, IReadOnlyList<string> Leftovers)
{
    public bool Succeeded => UpExitCode == 0 && StatusExitCode == 0 && DownExitCode == 0 && Leftovers.Count == 0;
}

/// <summary>
/// The local demo (`dotnet cake --target=Demo`): the real `nodeimager up --workers 3` against the AWS emulator, whose
/// instances the node simulator boots with their real user-data; the real kubeconfig hand-back over SSH from the
/// simulated master (a real sshd chrooted into the node's root); `status`, `logs`, `down`, and the real aws CLI
/// showing nothing is left. The tool runs in-process with one seam swapped: the node directory maps each node to
/// its loopback sshd, because the emulator's addresses are made up.
/// </summary>
public sealed class LocalDemo(IAnsiConsole console, Emulator emulator, DemoOptions options)
{
    /// <summary>Seconds per stand-in operation at pace 1, taken from the benchmark model's typical EC2 figures
    /// (Benchmark/AssemblyModel.TypicalSteps, sources in tests/benchmarks/README.md) for a stock image. apt-get install
    /// runs once per package set; the kubelet/kubeadm/kubectl set stands for each.</summary>
    public static readonly IReadOnlyDictionary<string, double> TypicalSeconds = new Dictionary<string, double>
    {
        ["boot"] = Typical("launch:"),
        ["apt-get-update"] = Typical("apt: update"),
        ["apt-get-install"] = Typical("apt: kubelet"),
        ["kubeadm-init"] = Typical("master: kubeadm init"),
        ["kubeadm-join"] = Typical("worker: kubeadm join"),
    };

    private static double Typical(string step) =>
        Benchmark.AssemblyModel.TypicalSteps.Single(s => s.Step.StartsWith(step, StringComparison.Ordinal)).Stock;

    public async Task<DemoOutcome> RunAsync(CancellationToken cancellationToken)
    {
        console.Write(new Panel(new Markup(
            "[bold]The nodes in this demo are SIMULATED.[/] No AWS account, no EC2, no Kubernetes. " +
            "AWS is moto's emulator on 127.0.0.1; each instance it reports is booted by the node simulator, which runs the " +
            "instance's real user-data (cloud-init's steps, the real bash, openssl and aws CLI) in a root of its own, with " +
            "strict stand-ins for apt-get, systemctl, kubeadm and kubectl. The master's kubeconfig comes back over SSH from " +
            "a real OpenSSH server chrooted into the simulated master. Step times are "
            + (options.Pace == 0 ? "zero." : $"{options.Pace:0.##} x typical EC2 figures.")))
        { Header = new PanelHeader(" NodeImager local demo ") });

        var environment = new Dictionary<string, string>(emulator.AwsEnvironment())
        {
            ["HOME"] = options.Home,
            ["NODEIMAGER_HOME"] = options.Home,
            ["KUBECONFIG"] = Path.Combine(options.Home, ".kube", "config"),
        };
        var directory = new SimulatedNodeDirectory();
        var sshds = new List<TestSshd>();
        SimulatedCluster? simulation = null;
        var upExit = ExitCodesUnknown;
        var statusExit = ExitCodesUnknown;
        var joined = 0;
        (string Text, UnixFileMode Mode)? kubeconfig = null;
        using var stopUp = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            Step($"nodeimager up --name {options.Name} --workers {options.Workers}", "AWS_ENDPOINT_URL=" + emulator.Endpoint);
            var up = RunCliAsync(environment, directory, stopUp.Token,
                "up", "--name", options.Name, "--workers", options.Workers.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--admin-cidr", "127.0.0.1/32", "--ssh-user", "root", "--merge-kubeconfig", "--timeout", "15m", "--poll-interval", "1");

            // Meanwhile, EC2's part: boot what `up` launched (silently: `up` owns the terminal while it runs).
            try
            {
                simulation = await BootWhatUpLaunchedAsync(up, directory, sshds, environment, cancellationToken);
            }
            catch
            {
                // Without booted nodes `up` would wait for its timeout: stop it, then clean up below.
                await stopUp.CancelAsync();
                await up;
                throw;
            }

            upExit = await up;
            if (upExit == 0 && simulation is not null)
            {
                kubeconfig = ShowKubeconfig(Path.Combine(options.Home, "clusters", options.Name, "kubeconfig"));
                joined = simulation.Joins.Count;
                console.MarkupLine($"[green]{joined} of {options.Workers} workers joined[/] with the token and CA hash the master published to SSM (checked by the kubeadm stand-in).");

                Step($"nodeimager status {options.Name}");
                statusExit = await RunCliAsync(environment, directory, cancellationToken, "status", options.Name);

                var logs = Path.Combine(options.Home, "logs");
                Step($"nodeimager logs {options.Name} worker-1 --user root --out {logs}", "over SSH from the simulated worker");
                await RunCliAsync(environment, directory, cancellationToken, "logs", options.Name, "worker-1", "--user", "root", "--out", logs);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            console.MarkupLine("[yellow]Cancelled[/]: removing what was created.");
        }
        finally
        {
            foreach (var sshd in sshds)
            {
                await sshd.DisposeAsync();
            }

            if (simulation is not null)
            {
                await simulation.DisposeAsync();
            }
        }

        Step($"nodeimager down {options.Name}");
        var downExit = await RunCliAsync(environment, directory, CancellationToken.None, "down", options.Name);
        var leftovers = await emulator.ClusterLeftoversAsync(options.Name);
        Step("What the real aws CLI still finds of the cluster in the emulator");
        if (leftovers.Count == 0)
        {
            console.MarkupLine("[green]Nothing is left[/]: no instance, security group, key pair, IAM role or instance profile, or SSM parameter of the cluster.");
        }
        else
        {
            foreach (var leftover in leftovers)
            {
                console.MarkupLine($"[red]left:[/] {Markup.Escape(leftover)}");
            }
        }

        var outcome = new DemoOutcome(upExit, statusExit, downExit, joined, kubeconfig, leftovers);
        console.MarkupLine(outcome.Succeeded ? "[green bold]Demo finished.[/] Every node above was simulated." : "[red bold]The demo did not finish cleanly[/] (see above). Every node was simulated.");
        return outcome;
    }

    private const int ExitCodesUnknown = -1;

    private async Task<SimulatedCluster?> BootWhatUpLaunchedAsync(Task<int> up, SimulatedNodeDirectory directory, List<TestSshd> sshds, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        using var aws = AwsConnection.Open(new AwsOptions(), environment);
        var expected = options.Workers + 1;
        while (await CountInstancesAsync(aws) < expected)
        {
            if (up.IsCompleted)
            {
                return null;
            }

            await Task.Delay(200, cancellationToken);
        }

        await Task.Delay(Scaled("boot"), cancellationToken);
        var settings = SimulationSettings.For(Spec(options.Name, options.Workers)) with
        {
            Delays = TypicalSeconds.Where(d => d.Key != "boot").ToDictionary(d => d.Key, d => d.Value * options.Pace),
        };
        var simulation = await SimulatedCluster.AttachAsync(emulator, options.Name, settings, cancellationToken);

        // The key `up` created and registered with EC2 is the one a real node would accept: authorise it on every
        // node's sshd, which runs each session chrooted into that node's root, as root.
        var key = Directory.GetFiles(Path.Combine(options.Home, "clusters", options.Name), "id_*").Single(f => !f.EndsWith(".pub", StringComparison.Ordinal));
        await File.WriteAllTextAsync(key + ".pub", await TestSshd.Tool("ssh-keygen", "-y", "-f", key), cancellationToken);
        foreach (var node in simulation.Nodes)
        {
            var sshd = await TestSshd.StartAsync(new TestSshd.Options(AuthorizedKeyFrom: key, ChrootDirectory: node.Root.Path));
            sshds.Add(sshd);
            directory.Add(node.InstanceId, node.Role, node.Metadata.LocalIpv4, sshd.Port);
        }

        simulation.BootAll();
        return simulation;
    }

    private async Task<int> CountInstancesAsync(AwsConnection aws)
    {
        var described = await aws.Ec2.DescribeInstancesAsync(new DescribeInstancesRequest { Filters = [new Filter("tag:" + ClusterNaming.ClusterTag, [options.Name])] });
        return (described.Reservations ?? []).Sum(r => r.Instances.Count);
    }

    private Task<int> RunCliAsync(IReadOnlyDictionary<string, string> environment, INodeDirectory directory, CancellationToken cancellationToken, params string[] args)
    {
        var host = new NodeImagerApp.HostEnvironment(environment, options.Home, Emulator.RepositoryRoot);
        var app = NodeImagerApp.Create(console, services => services.AddSingleton(directory), host);
        return app.RunAsync(args, cancellationToken);
    }

    private (string Text, UnixFileMode Mode)? ShowKubeconfig(string path)
    {
        if (!File.Exists(path))
        {
            console.MarkupLine($"[red]No kubeconfig at {Markup.Escape(path)}[/]");
            return null;
        }

        var text = File.ReadAllText(path);
        var mode = File.GetUnixFileMode(path);
        var server = text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("server:", StringComparison.Ordinal)) ?? "server: ?";
        console.MarkupLine($"Kubeconfig [bold]{Markup.Escape(path)}[/], mode {Convert.ToString((int)mode, 8)}, {Markup.Escape(server)}");
        console.MarkupLine("[grey](the server is where the tool reached the master: its loopback sshd here. A simulated node runs no API server, so kubectl has nothing to talk to. `down` removes the cluster's folder with this file.)[/]");
        return (text, mode);
    }

    private TimeSpan Scaled(string step) => TimeSpan.FromSeconds(TypicalSeconds[step] * options.Pace);

    private void Step(string command, string? note = null)
    {
        console.WriteLine();
        console.Write(new Rule($"[bold]$ {Markup.Escape(command)}[/]" + (note is null ? string.Empty : $" [grey]({Markup.Escape(note)})[/]")) { Justification = Justify.Left });
    }
}
