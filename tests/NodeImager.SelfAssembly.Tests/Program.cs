namespace NodeImager.SelfAssembly.Tests;

/// <summary>`dotnet run --project tests/NodeImager.SelfAssembly.Tests -- benchmark`: the modelled timings (not a
/// test).</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args is ["benchmark", ..])
        {
            return 0;
        }

        Console.Error.WriteLine("usage: benchmark");
        return 2;
    }
}
