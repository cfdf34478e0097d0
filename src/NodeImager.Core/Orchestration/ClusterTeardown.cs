namespace NodeImager.Core.Orchestration;

/// <summary>What <c>down</c> found, what it removed and what is still there afterwards.</summary>
public sealed record TeardownResult(string Cluster, ClusterInventory Found, bool RemovedLocalFolder, ClusterInventory Leftovers)
{
    public bool NothingWasThere => Found.IsEmpty && !RemovedLocalFolder;
}

/// <summary>Removes a cluster from its tags alone, in dependency order: instances (and waits until they are gone),
/// the rules that make the two groups reference each other, the groups (retrying DependencyViolation while ENIs
/// linger), the key pair, the parameters, the IAM roles, the local folder. Running it again finds nothing.</summary>
public sealed class ClusterTeardown(IClusterCloud cloud, ClusterFolders folders, TimeProvider clock)
{
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan TerminateTimeout { get; init; } = TimeSpan.FromMinutes(10);

    public TimeSpan GroupDeleteTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public Task<ClusterInventory> FindAsync(string cluster, CancellationToken cancellationToken) =>
        cloud.FindClusterResourcesAsync(cluster, cancellationToken);

    public async Task<TeardownResult> DownAsync(string cluster, Action<string> report, CancellationToken cancellationToken)
    {
        var found = await cloud.FindClusterResourcesAsync(cluster, cancellationToken);

        var instanceIds = found.Instances.Select(i => i.InstanceId).ToList();
        if (instanceIds.Count > 0)
        {
            await cloud.TerminateInstancesAsync(instanceIds, cancellationToken);
            report($"Terminating {instanceIds.Count} instance(s)");
            await WaitTerminatedAsync(cluster, cancellationToken);
            report($"{instanceIds.Count} instance(s) terminated");
        }

        foreach (var group in found.SecurityGroups)
        {
            await cloud.RevokeAllIngressAsync(group.Id, cancellationToken);
        }

        foreach (var group in found.SecurityGroups)
        {
            await DeleteGroupAsync(group, cancellationToken);
            report($"Security group {group.Name} ({group.Id}) deleted");
        }

        foreach (var key in found.KeyPairs)
        {
            await cloud.DeleteKeyPairAsync(key.Name, cancellationToken);
            report($"Key pair {key.Name} deleted");
        }

        if (found.Parameters.Count > 0)
        {
            await cloud.DeleteParametersAsync(found.Parameters, cancellationToken);
            report($"{found.Parameters.Count} parameter(s) under {Model.ClusterNaming.ParameterPath(cluster)} deleted");
        }

        if (found.IamRoles.Count > 0)
        {
            await cloud.DeleteNodeIdentityAsync(cluster, cancellationToken);
            report($"IAM roles {string.Join(", ", found.IamRoles)} and their instance profiles deleted");
        }

        var removedFolder = folders.Remove(cluster);
        if (removedFolder)
        {
            report($"Local folder {folders.ClusterFolder(cluster)} removed");
        }

        var leftovers = await cloud.FindClusterResourcesAsync(cluster, cancellationToken);
        return new TeardownResult(cluster, found, removedFolder, leftovers);
    }

    /// <summary>Clusters whose <c>nodeimager:expires-at</c> has passed.</summary>
    public async Task<IReadOnlyList<ClusterSummary>> FindExpiredAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var clusters = await cloud.ListClustersAsync(cancellationToken);
        return [.. clusters.Where(c => c.ExpiresAt is { } at && at <= now).OrderBy(c => c.Cluster, StringComparer.Ordinal)];
    }

    private async Task WaitTerminatedAsync(string cluster, CancellationToken cancellationToken)
    {
        var started = clock.GetUtcNow();
        while (true)
        {
            var left = (await cloud.FindInstancesAsync(cluster, cancellationToken)).Where(i => i.State != "terminated").ToList();
            if (left.Count == 0)
            {
                return;
            }

            if (clock.GetUtcNow() - started > TerminateTimeout)
            {
                throw new NodeImagerException(
                    $"{left.Count} instance(s) of {cluster} did not terminate in time: {string.Join(", ", left.Select(i => $"{i.InstanceId} ({i.State})"))}.",
                    $"Run `nodeimager down {cluster}` again in a few minutes.");
            }

            await Task.Delay(PollInterval, clock, cancellationToken);
        }
    }

    private async Task DeleteGroupAsync(TaggedResource group, CancellationToken cancellationToken)
    {
        // Network interfaces of terminated instances linger for a while after termination; until they are gone
        // EC2 answers DependencyViolation (kops#383, eksctl#1960). Back off and retry.
        var started = clock.GetUtcNow();
        var delay = PollInterval;
        while (true)
        {
            try
            {
                await cloud.DeleteSecurityGroupAsync(group.Id, cancellationToken);
                return;
            }
            catch (CloudDependencyException) when (clock.GetUtcNow() - started < GroupDeleteTimeout)
            {
                await Task.Delay(delay, clock, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
            catch (CloudDependencyException e)
            {
                throw new NodeImagerException(
                    $"Security group {group.Name} ({group.Id}) is still in use: {e.Message}",
                    "Something outside the cluster (a load balancer, another instance) may use it; remove that and run down again.", inner: e);
            }
        }
    }
}
