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

        config.AddCommand<UpCommand>("up")
            .WithDescription("Create a cluster on EC2 and wait until every node reports ready. Everything is tagged, so `down` can always find it.")
            .WithExample("up", "--name", "demo", "--workers", "3")
            .WithExample("up", "--name", "demo", "--workers", "3", "--admin-cidr", "203.0.113.7/32", "--no-wait")
            .WithExample("up", "--name", "demo", "--dry-run");

        config.AddCommand<StatusCommand>("status")
            .WithDescription("List the clusters in the region, or show one cluster's nodes and the phase each reported.")
            .WithExample("status")
            .WithExample("status", "demo", "--output", "json");

        config.AddCommand<DownCommand>("down")
            .WithDescription("Remove every resource of a cluster, found by its tags alone. Safe to run again.")
            .WithExample("down", "demo")
            .WithExample("down", "demo", "--dry-run");

        config.AddCommand<ReapCommand>("reap")
            .WithDescription("Remove every cluster whose nodeimager:expires-at has passed, and the builder IAM roles of bakes that crashed or were killed.")
            .WithExample("reap")
            .WithExample("reap", "--dry-run");

        config.AddCommand<BakeCommand>("bake")
            .WithDescription("Bake a golden AMI from a recipe in images/: one builder installs everything a node would, then is imaged and removed with every temporary resource.")
            .WithExample("bake", "ubuntu-24.04-k8s-1.37")
            .WithExample("bake", "./my-recipe.yaml", "--ttl", "3h", "--subnet-id", "subnet-0123456789abcdef0");

        config.AddBranch("images", images =>
        {
            images.SetDescription("List and prune the golden images bake made.");
            images.AddCommand<ImagesListCommand>("list")
                .WithDescription("List golden images (image id, recipe, hash, Kubernetes version, created, state).")
                .WithExample("images", "list")
                .WithExample("images", "list", "--recipe", "ubuntu-24.04-k8s-1.37", "--output", "json");
            images.AddCommand<ImagesPruneCommand>("prune")
                .WithDescription("Deregister a recipe's images beyond the newest N and delete their snapshots.")
                .WithExample("images", "prune", "ubuntu-24.04-k8s-1.37", "--keep", "2")
                .WithExample("images", "prune", "ubuntu-24.04-k8s-1.37", "--keep", "1", "--dry-run");
        });

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
