using System.Text;

namespace NodeImager.Core.Configuration;

/// <summary>One thing wrong with the input: which key, the bad value, what is allowed, and where it came from.</summary>
public sealed record SpecProblem(string Key, string? Value, string Problem, string Source)
{
    public override string ToString()
    {
        var value = Value is null ? string.Empty : $" = '{Value}'";
        return $"{Key}{value} ({Source}): {Problem}";
    }
}

/// <summary>Every problem found in the input at once; exit code 2, raised before any cloud call.</summary>
public sealed class SpecValidationException : NodeImagerException
{
    public SpecValidationException(IReadOnlyList<SpecProblem> problems)
        : base(Format(problems), "Fix the values above (see `nodeimager <command> --help` and the README's configuration table), then run again.", ExitCodes.BadInput)
    {
        Problems = problems;
    }

    public IReadOnlyList<SpecProblem> Problems { get; }

    private static string Format(IReadOnlyList<SpecProblem> problems)
    {
        var text = new StringBuilder();
        text.Append(problems.Count == 1 ? "The configuration has a problem:" : $"The configuration has {problems.Count} problems:");
        foreach (var problem in problems)
        {
            text.Append("\n  - ").Append(problem);
        }

        return text.ToString();
    }
}
