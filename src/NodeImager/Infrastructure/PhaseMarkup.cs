using Spectre.Console;

namespace NodeImager.Cli.Infrastructure;

/// <summary>A node's phase as up and status show it: ready in green, failed in red, the rest as reported.</summary>
internal static class PhaseMarkup
{
    public static string Of(string phase) => phase switch
    {
        "ready" => "[green]ready[/]",
        "failed" => "[red]failed[/]",
        var other => Markup.Escape(other),
    };
}
