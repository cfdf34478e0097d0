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

        config.AddCommand<SshCommand>("ssh")
            .WithDescription("Open a shell on a node (checking its host key), or run one command there: `-- COMMAND` returns its exit code.")
            .WithExample("ssh", "demo")
            .WithExample("ssh", "demo", "worker-2")
            .WithExample("ssh", "demo", "--", "sudo", "kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf", "get", "nodes")
            .WithExample("ssh", "demo", "i-0123456789abcdef0", "--user", "ubuntu", "--identity", "demo.pem");

        config.AddCommand<LogsCommand>("logs")
            .WithDescription("Print a node's boot logs (cloud-init output and the NodeImager bootstrap log), or save them with --out.")
            .WithExample("logs", "demo")
            .WithExample("logs", "demo", "worker-1", "--out", "logs");
    }
}
