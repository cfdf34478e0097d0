using NodeImager.Cli.Infrastructure;
using NodeImager.Core;
using Spectre.Console.Cli;
using Spectre.Console.Testing;

namespace NodeImager.Tests.Infrastructure;

public sealed class NodeImagerAppTests : IDisposable
{
    private readonly CliHarness cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public void Every_example_in_the_help_parses()
    {
        var app = NodeImagerApp.Create(new TestConsole());
        app.Configure(c => c.ValidateExamples());

        // ValidateExamples makes Run throw when an example does not parse against its command's settings.
        Assert.Equal(0, app.Run(["--help"]));
    }

    [Fact]
    public async Task Help_lists_the_commands()
    {
        Assert.Equal(0, await cli.RunAsync("--help"));
        Assert.Contains("render", cli.Output);
    }

    [Fact]
    public async Task Bad_input_exits_2_with_every_problem_and_a_hint_before_doing_anything()
    {
        var code = await cli.RunAsync("render", "--workers", "500", "--pod-cidr", "10.96.0.0/16", "--out", "out");

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("workers = '500' (--workers)", cli.Output);
        Assert.Contains("serviceCidr = '10.96.0.0/12' (built-in default): overlaps the pod network 10.96.0.0/16", cli.Output);
        Assert.Contains("Hint:", cli.Output);
        Assert.False(Directory.Exists(Path.Combine(cli.WorkingDirectory, "out")));
    }

    [Fact]
    public async Task A_config_file_typo_is_reported_with_its_place()
    {
        File.WriteAllText(Path.Combine(cli.WorkingDirectory, "nodeimager.yaml"), "workers: 2\npodCdir: 10.1.0.0/16\n");

        Assert.Equal(ExitCodes.BadInput, await cli.RunAsync("render"));
        Assert.Contains("podCdir", cli.Output);
        Assert.Contains("nodeimager.yaml:2:1", cli.Output);
        Assert.Contains("did you mean 'podCidr'", cli.Output);
    }

    [Fact]
    public async Task An_environment_variable_is_a_layer()
    {
        cli.Environment["NODEIMAGER_WORKERS"] = "x";

        Assert.Equal(ExitCodes.BadInput, await cli.RunAsync("render"));
        Assert.Contains("environment NODEIMAGER_WORKERS", cli.Output);
    }

    [Fact]
    public async Task A_golden_image_must_name_a_shipped_recipe_of_the_same_minor()
    {
        Assert.Equal(ExitCodes.BadInput, await cli.RunAsync("render", "--image", "ubuntu-24.04-k8s-1.99"));
        Assert.Contains("no golden-image recipe of that name", cli.Output);
        Assert.Contains("ubuntu-24.04-k8s-1.37", cli.Output);

        Assert.Equal(ExitCodes.BadInput, await cli.RunAsync("render", "--image", "ubuntu-24.04-k8s-1.37", "--kubernetes-version", "1.36"));
        Assert.Contains("--kubernetes-version 1.37", cli.Output);
    }

    [Fact]
    public async Task Unknown_flags_and_commands_exit_2()
    {
        Assert.Equal(ExitCodes.BadInput, await cli.RunAsync("render", "--wrokers", "3"));
        Assert.Equal(ExitCodes.BadInput, await cli.RunAsync("frobnicate"));
    }

    [Fact]
    public void Expected_errors_print_message_and_hint_without_a_stack_trace()
    {
        var console = new TestConsole().Width(200);

        var code = NodeImagerApp.Report(console, new NodeImagerException("No default VPC in eu-west-1.", "Pass --subnet-id.", ExitCodes.Failure), diagnostics: false);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("Error: No default VPC in eu-west-1.", console.Output);
        Assert.Contains("Hint: Pass --subnet-id.", console.Output);
        Assert.DoesNotContain(" at ", console.Output);
    }

    [Fact]
    public void Bugs_are_called_bugs_and_show_the_stack()
    {
        var console = new TestConsole().Width(200);

        var code = NodeImagerApp.Report(console, Throw(), diagnostics: false);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("This is a bug", console.Output);
        Assert.Contains(nameof(Throw), console.Output);
    }

    [Fact]
    public void Cancellation_is_exit_130()
    {
        Assert.Equal(ExitCodes.Cancelled, NodeImagerApp.Report(new TestConsole(), new OperationCanceledException(), diagnostics: false));
        Assert.Equal(130, ExitCodes.Cancelled);
    }

    private static InvalidOperationException Throw()
    {
        try
        {
            throw new InvalidOperationException("boom");
        }
        catch (InvalidOperationException e)
        {
            return e;
        }
    }
}
