using Spectre.Console.Cli;

namespace NodeImager.Cli.Commands;

/// <summary>Every command the tool has, with its examples (tests run ValidateExamples so help never lies).</summary>
internal static class CommandCatalog
{
    public static void Register(IConfigurator config)
    {
        config.AddCommand<RenderCommand>("render")
            .WithDescription("Render the cloud-init user-data for every node role, offline (no AWS call, no credentials).")
            .WithExample("render", "--workers", "3", "--out", "out")
            .WithExample("render", "--kubernetes-version", "1.36", "--pod-cidr", "10.200.0.0/16", "--out", "out");
    }
}
