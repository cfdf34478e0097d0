using NodeImager.Aws.Tests.Support;
using NodeImager.SelfAssembly.Tests.Benchmark;

namespace NodeImager.SelfAssembly.Tests;

/// <summary>The benchmark entry (not a test): `dotnet run --project tests/NodeImager.SelfAssembly.Tests -- benchmark`
/// prints the modelled time from `up` to every node ready (see tests/benchmarks/README.md).</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args is not ["benchmark"])
        {
            Console.Error.WriteLine("usage: benchmark   (print the self-assembly timing model)");
            return 2;
        }

        var schedule = PollSchedule.FromTemplates(Path.Combine(Emulator.RepositoryRoot, "templates"));
        Console.Write(new AssemblyModel(AssemblyModel.TypicalSteps, schedule).Report());
        return 0;
    }
}
