using System.Text.Json;
using Spectre.Console;

namespace NodeImager.Cli.Infrastructure;

/// <summary>--output of the commands that list things: a table for people (the default), JSON for scripts.</summary>
internal static class OutputFormat
{
    public const string Table = "table";

    public const string Json = "json";

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static ValidationResult Validate(string output) =>
        output is Table or Json ? ValidationResult.Success() : ValidationResult.Error($"--output must be table or json, not '{output}'.");

    /// <summary>Indented camelCase JSON on the console, one document.</summary>
    public static void WriteJson(IAnsiConsole console, object value) => console.WriteLine(JsonSerializer.Serialize(value, Options));
}
