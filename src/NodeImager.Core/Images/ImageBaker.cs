using System.Security.Cryptography;
using NodeImager.Core.Model;
using NodeImager.Core.Orchestration;
using NodeImager.Core.Rendering;

namespace NodeImager.Core.Images;

/// <summary>What one bake is asked to do.</summary>
public sealed record BakeRequest
{
    public required GoldenImageRecipe Recipe { get; init; }

    public required TemplateCatalog Templates { get; init; }

    /// <summary>--ami: build on this image instead of the recipe's base.</summary>
    public string? SourceAmi { get; init; }

    public string? SubnetId { get; init; }

    /// <summary>Dead-man switch: the builder's expires-at tag (reap removes it) and its own power-off time.</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromHours(2);

    /// <summary>How long the builder may take to report done and power off.</summary>
    public TimeSpan BuildTimeout { get; init; } = TimeSpan.FromMinutes(60);

    /// <summary>How long CreateImage may take to become available.</summary>
    public TimeSpan ImageTimeout { get; init; } = TimeSpan.FromMinutes(60);

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long cleanup waits for the builder to terminate so its security group can go.</summary>
    public TimeSpan CleanupTimeout { get; init; } = TimeSpan.FromMinutes(10);

    public IReadOnlyDictionary<string, string> ExtraTags { get; init; } = new Dictionary<string, string>();

    /// <summary>Fixed in tests; otherwise 8 random hex digits.</summary>
    public string? Id { get; init; }
}

/// <summary>One poll of the builder, for the progress display.</summary>
public sealed record BakeProgress(string Stage, string? InstanceId, string? InstanceState, string? Phase, string? Step, TimeSpan Elapsed);

public sealed record BakeResult(string Bake, string ImageId, string ImageName, IReadOnlyDictionary<string, string> Tags, IReadOnlyList<string> SnapshotIds, string BuilderInstanceId);

/// <summary>The builder reported <c>failed</c> (or stopped without reporting done): the failing step and the log tail.</summary>
public sealed class BakeFailedException(string message, string? step, string? logTail, string? hint = null)
    : NodeImagerException(message, hint)
{
    public string? Step { get; } = step;

    public string? LogTail { get; } = logTail;
}

/// <summary>
/// Bakes a golden image: renders the builder's user-data, launches one builder (no ingress, an identity that may only
/// write its own status parameter), follows its status parameter until it reports done and powers off, images the
/// stopped instance, tags image and snapshots, and removes the builder and every temporary resource, on success,
/// failure and cancellation alike.
/// </summary>
public sealed class ImageBaker(IImageCloud cloud, TimeProvider clock)
{
    private static readonly HashSet<string> GoneStates = new(StringComparer.Ordinal) { "shutting-down", "terminated" };

    public async Task<BakeResult> BakeAsync(BakeRequest request, Action<BakeProgress> progress, Action<string> report, CancellationToken cancellationToken)
    {
        var recipe = request.Recipe;
        var id = request.Id ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var bake = ImageTags.BakeName(recipe.Name, id);
        var started = clock.GetUtcNow();
        var expiresAt = started + request.Ttl;

        // Rendered before any call: a template problem must stop the bake before anything exists.
        var document = BuilderDocument.Render(request.Templates, recipe, bake, expiresAt);

        try
        {
            var creator = await cloud.GetCallerArnAsync(cancellationToken);
            var source = request.SourceAmi ?? (recipe.BaseIsAmi ? recipe.Base : null);
            var baseImage = source is not null
                ? await cloud.DescribeImageAsync(source, cancellationToken)
                : await cloud.FindStockImageAsync(recipe.Base["ubuntu-".Length..], cancellationToken);
            var network = await cloud.DiscoverNetworkAsync(request.SubnetId, cancellationToken);
            report($"Base image {baseImage.ImageId} ({baseImage.Name}, {baseImage.Source}); subnet {network.SubnetId}");

            var tags = new Dictionary<string, string>(request.ExtraTags, StringComparer.Ordinal)
            {
                [ClusterNaming.ClusterTag] = bake,
                [ClusterNaming.RoleTag] = ImageTags.BuilderRole,
                [ImageTags.Builder] = recipe.Name,
                [ImageTags.Recipe] = recipe.Name,
                [ClusterNaming.ExpiresAtTag] = ImageTags.FormatTime(expiresAt),
                [ClusterNaming.CreatorTag] = creator,
            };

            var groupId = await cloud.CreateBuilderGroupAsync(network.VpcId, $"nodeimager-{bake}", tags, cancellationToken);
            report($"Security group {groupId} (no ingress)");
            var profile = await cloud.CreateBuilderIdentityAsync(bake, tags, cancellationToken);
            report($"Instance profile {profile} (may only write {ClusterNaming.StatusPath(bake)}*)");
            var instanceId = await cloud.LaunchBuilderAsync(
                new BuilderLaunch
                {
                    ImageId = baseImage.ImageId,
                    RootDeviceName = baseImage.RootDeviceName,
                    InstanceType = recipe.InstanceType,
                    SubnetId = network.SubnetId,
                    SecurityGroupId = groupId,
                    InstanceProfile = profile,
                    UserData = document.UserData,
                    Tags = tags,
                },
                cancellationToken);
            report($"Builder {instanceId} ({recipe.InstanceType}) launched; expires {ImageTags.FormatTime(expiresAt)}");

            var status = await WaitForBuilderAsync(request, bake, instanceId, started, progress, cancellationToken);

            var builtAt = clock.GetUtcNow();
            var version = status.Report.KubernetesVersion is { Length: > 0 } v ? v : recipe.KubernetesVersion.ToString();
            var name = ImageTags.ImageName(recipe.Name, version, builtAt);
            var imageTags = new Dictionary<string, string>(request.ExtraTags, StringComparer.Ordinal)
            {
                ["Name"] = name,
                [ImageTags.Recipe] = recipe.Name,
                [ImageTags.RecipeHash] = recipe.Hash,
                [ImageTags.KubernetesVersion] = version,
                [ImageTags.SourceAmi] = baseImage.ImageId,
                [ImageTags.BuiltAt] = ImageTags.FormatTime(builtAt),
                [ClusterNaming.CreatorTag] = creator,
            };
            foreach (var (tag, value) in status.RuntimeVersions)
            {
                imageTags[tag] = value;
            }

            progress(new BakeProgress("imaging", instanceId, "stopped", status.Report.Phase, "create-image", clock.GetUtcNow() - started));
            var imageId = await cloud.CreateImageAsync(instanceId, name, $"NodeImager golden image: recipe {recipe.Name} ({recipe.Hash}), Kubernetes {version}", imageTags, cancellationToken);
            report($"Image {imageId} ({name}) requested");
            var image = await WaitForImageAsync(request, imageId, instanceId, started, progress, cancellationToken);

            // Snapshots are tagged too, so what an image costs can be traced to its recipe.
            await cloud.TagAsync([image.ImageId, .. image.SnapshotIds], imageTags, cancellationToken);
            report($"Image {imageId} available; tagged with its {image.SnapshotIds.Count} snapshot(s)");
            return new BakeResult(bake, imageId, name, imageTags, image.SnapshotIds, instanceId);
        }
        finally
        {
            // CancellationToken.None: Ctrl-C must not stop the cleanup it asked for.
            await CleanUpAsync(request, bake, report);
        }
    }

    private async Task<BuilderStatus> WaitForBuilderAsync(BakeRequest request, string bake, string instanceId, DateTimeOffset started, Action<BakeProgress> progress, CancellationToken cancellationToken)
    {
        var parameter = ImageTags.StatusParameter(bake, instanceId);
        var deadline = clock.GetUtcNow() + request.BuildTimeout;
        while (true)
        {
            var state = await cloud.GetInstanceStateAsync(instanceId, cancellationToken);
            var status = await cloud.ReadBuilderStatusAsync(parameter, cancellationToken);
            var report = status?.Report;
            progress(new BakeProgress("building", instanceId, state, report?.Phase ?? "booting", report?.Step, clock.GetUtcNow() - started));

            if (report?.Phase == "failed")
            {
                throw new BakeFailedException(
                    $"The builder {instanceId} failed at step '{report.Step}': {report.Message}",
                    report.Step,
                    report.LogTail,
                    "Fix the recipe or templates and bake again; the log tail above is the end of the builder's /var/log/nodeimager-bootstrap.log.");
            }

            if (state == "stopped")
            {
                if (status is not null && report!.Phase == "done")
                {
                    return status;
                }

                throw new BakeFailedException(
                    $"The builder {instanceId} powered off without reporting done (last phase '{report?.Phase ?? "none"}', step '{report?.Step ?? "none"}'); no image was made.",
                    report?.Step,
                    report?.LogTail,
                    "A builder powers off when its --ttl runs out; give it more time with --ttl.");
            }

            if (state is null || GoneStates.Contains(state))
            {
                throw new BakeFailedException($"The builder {instanceId} is {state ?? "gone"} before it finished (last phase '{report?.Phase ?? "none"}').", report?.Step, report?.LogTail);
            }

            if (clock.GetUtcNow() > deadline)
            {
                throw new NodeImagerException(
                    $"The builder {instanceId} did not finish within {request.BuildTimeout.TotalMinutes:0} minutes (last phase '{report?.Phase ?? "none"}', step '{report?.Step ?? "none"}').",
                    "Pass a longer --timeout, or check the instance's console output.");
            }

            await Task.Delay(request.PollInterval, clock, cancellationToken);
        }
    }

    private async Task<BakedImage> WaitForImageAsync(BakeRequest request, string imageId, string instanceId, DateTimeOffset started, Action<BakeProgress> progress, CancellationToken cancellationToken)
    {
        var deadline = clock.GetUtcNow() + request.ImageTimeout;
        while (true)
        {
            var image = await cloud.FindImageAsync(imageId, cancellationToken);
            progress(new BakeProgress("imaging", instanceId, "stopped", "imaging", $"image {image?.State ?? "pending"}", clock.GetUtcNow() - started));
            switch (image?.State)
            {
                case "available":
                    return image;
                case "failed" or "invalid" or "error" or "deregistered":
                    throw new NodeImagerException($"Image {imageId} ended in state '{image.State}'.", $"Deregister it with `nodeimager images prune {request.Recipe.Name} --keep N`, then bake again.");
            }

            if (clock.GetUtcNow() > deadline)
            {
                throw new NodeImagerException($"Image {imageId} was not available within {request.ImageTimeout.TotalMinutes:0} minutes.", "It may still become available: see `nodeimager images list`.");
            }

            await Task.Delay(request.PollInterval, clock, cancellationToken);
        }
    }

    /// <summary>Removes everything the bake made except the image: the builder first (its group cannot go while the
    /// instance holds it), then group, identity and parameters. Found by tag and path, not only by the ids we got
    /// back, so a half-finished launch is cleaned up as well.</summary>
    private async Task CleanUpAsync(BakeRequest request, string bake, Action<string> report)
    {
        var none = CancellationToken.None;
        var problems = new List<string>();
        async Task Try(string what, Func<Task> action)
        {
            try
            {
                await action();
            }
            catch (Exception e) when (e is NodeImagerException or CloudDependencyException or TimeoutException)
            {
                problems.Add($"{what}: {e.Message}");
            }
        }

        var found = new BuilderResources([], [], []);
        await Try("finding the builder's resources", async () => found = await cloud.FindBuilderResourcesAsync(bake, none));
        foreach (var instance in found.InstanceIds)
        {
            await Try($"terminating builder {instance}", async () =>
            {
                await cloud.TerminateInstanceAsync(instance, none);
                var deadline = clock.GetUtcNow() + request.CleanupTimeout;
                while (await cloud.GetInstanceStateAsync(instance, none) is { } state && state != "terminated")
                {
                    if (clock.GetUtcNow() > deadline)
                    {
                        throw new TimeoutException($"still {state} after {request.CleanupTimeout.TotalMinutes:0} minutes");
                    }

                    await Task.Delay(request.PollInterval, clock, none);
                }

                report($"Builder {instance} terminated");
            });
        }

        foreach (var group in found.GroupIds)
        {
            await Try($"deleting security group {group}", async () =>
            {
                var deadline = clock.GetUtcNow() + request.CleanupTimeout;
                while (true)
                {
                    try
                    {
                        await cloud.DeleteSecurityGroupAsync(group, none);
                        report($"Security group {group} deleted");
                        return;
                    }
                    catch (CloudDependencyException) when (clock.GetUtcNow() < deadline)
                    {
                        // The terminated builder's network interface lingers for a while.
                        await Task.Delay(request.PollInterval, clock, none);
                    }
                }
            });
        }

        await Try("deleting the builder's IAM role and instance profile", async () =>
        {
            await cloud.DeleteBuilderIdentityAsync(bake, none);
            report("Builder role and instance profile deleted");
        });

        // Looked up again now the builder is gone: it may have written its status after the first look.
        await Try("deleting the builder's parameters", async () =>
        {
            var parameters = (await cloud.FindBuilderResourcesAsync(bake, none)).Parameters;
            if (parameters.Count > 0)
            {
                await cloud.DeleteParametersAsync(parameters, none);
                report($"{parameters.Count} parameter(s) deleted");
            }
        });

        if (problems.Count > 0)
        {
            report($"Cleanup incomplete: {string.Join("; ", problems)}. Remove the rest with `nodeimager down {bake}` (everything is tagged {ClusterNaming.ClusterTag}={bake}).");
        }
    }
}
