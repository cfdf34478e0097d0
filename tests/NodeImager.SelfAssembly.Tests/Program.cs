using System.Globalization;
using NodeImager.Aws.Tests.Support;
using NodeImager.SelfAssembly.Tests.Benchmark;
using NodeImager.SelfAssembly.Tests.Demo;
using Spectre.Console;

namespace NodeImager.SelfAssembly.Tests;

/// <summary>
/// Console entries beside the tests (not tests themselves):
/// `benchmark` prints the modelled time from `up` to every node ready (see tests/benchmarks/README.md);
/// `demo` runs the local demo with simulated nodes (`dotnet cake --target=Demo`; Linux, root).
/// </summary>
public static class Program
{
    private const string Usage = """
        usage: benchmark                                        print the self-assembly timing model
               demo [--workers N] [--pace X] [--home DIR]       the local demo with simulated nodes (Linux, root)
                 --pace X   fraction of typical EC2 step times (default 0.1; 0 = instant, 1 = real time)
                 --home DIR NODEIMAGER_HOME of the demo (default artifacts/demo; emptied first if the demo made it)
        """;

    public static async Task<int> Main(string[] args)
    {
        switch (args)
        {
            case ["benchmark"]:
                var schedule = PollSchedule.FromTemplates(Path.Combine(Emulator.RepositoryRoot, "templates"));
                Console.Write(new AssemblyModel(AssemblyModel.TypicalSteps, schedule).Report());
                return 0;
            case ["demo", .. var rest]:
                return await DemoAsync(rest);
            default:
                Console.Error.WriteLine(Usage);
                return 2;
        }
    }

    private static async Task<int> DemoAsync(string[] args)
    {
        var workers = 3;
        var pace = 0.1;
        var home = Path.Combine(Emulator.RepositoryRoot, "artifacts", "demo");
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            var ok = (args[i], value) switch
            {
                ("--workers", not null) => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out workers) && workers is >= 0 and <= 20,
                ("--pace", not null) => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out pace) && pace is >= 0 and <= 1,
                ("--home", not null) => (home = Path.GetFullPath(value)).Length > 0,
                _ => false,
            };
            if (!ok)
            {
                Console.Error.WriteLine($"demo: bad argument '{args[i]}{(value is null ? "" : " " + value)}' (workers 0-20, pace 0-1).\n{Usage}");
                return 2;
            }

            i++;
        }

        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            Console.Error.WriteLine("The demo needs Linux and root: simulated nodes are overlay mounts and chroots, and each gets its own sshd.\nRun it as root, e.g. `sudo dotnet cake --target=Demo`.");
            return 2;
        }

        // Emptied first, but only a folder the demo made (or an empty one): --home pointed at anything else is refused.
        var marker = Path.Combine(home, ".nodeimager-demo");
        if (Directory.Exists(home) && Directory.EnumerateFileSystemEntries(home).Any())
        {
            if (!File.Exists(marker))
            {
                Console.Error.WriteLine($"demo: --home {home} is not empty and was not made by the demo; it is left untouched.\nPass an empty or new folder.");
                return 2;
            }

            Directory.Delete(home, recursive: true);
        }

        Directory.CreateDirectory(home);
        File.WriteAllText(marker, "NODEIMAGER_HOME of the local demo; emptied by the next run.\n");
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        var emulator = new Emulator();
        AnsiConsole.MarkupLine($"Starting the AWS emulator (moto in the trixie chroot) on {emulator.Endpoint} ...");
        await emulator.InitializeAsync();
        try
        {
            var outcome = await new LocalDemo(AnsiConsole.Console, emulator, new DemoOptions(home, Workers: workers, Pace: pace)).RunAsync(cancel.Token);
            return cancel.IsCancellationRequested ? 130 : outcome.Succeeded ? 0 : 1;
        }
        finally
        {
            await emulator.DisposeAsync();
            AnsiConsole.MarkupLine("Emulator stopped.");
        }
    }
}
