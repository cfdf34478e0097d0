using NodeImager.Aws.Tests.Support;
using NodeImager.Core.Model;

namespace NodeImager.Aws.Tests;

[Collection(EmulatorCollection.Name)]
public sealed class AwsNodeDirectoryTests(Emulator emulator) : IAsyncLifetime, IDisposable
{
    private readonly CliRun cli = new(emulator);

    public Task InitializeAsync() => emulator.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Finds_the_running_nodes_of_one_cluster_by_tag_master_first_with_their_addresses()
    {
        Assert.Equal(0, (await cli.UpAsync("rho", "--workers", "2", "--no-wait")).ExitCode);
        Assert.Equal(0, (await cli.UpAsync("sigma", "--workers", "1", "--no-wait")).ExitCode);

        var nodes = await new AwsNodeDirectory(emulator.AwsEnvironment()).FindAsync("rho", default);

        Assert.Equal([NodeRole.Master, NodeRole.Worker, NodeRole.Worker], nodes.Select(n => n.Role));
        var launched = await cli.WaitForInstancesAsync("rho", 3);
        Assert.Equal(launched.Select(l => l.Id).Order(StringComparer.Ordinal), nodes.Select(n => n.InstanceId).Order(StringComparer.Ordinal));
        Assert.All(nodes, n =>
        {
            Assert.NotNull(n.PrivateAddress);
            Assert.NotNull(n.Reachable);
            Assert.Equal(22, n.SshPort);
        });
        Assert.Empty(await new AwsNodeDirectory(emulator.AwsEnvironment()).FindAsync("nobody", default));
    }
}
