using NodeImager.Core.Orchestration;

namespace NodeImager.Core.Images;

/// <summary>One builder's IAM role and the instance profile of the same name, as reap finds them.</summary>
public sealed record BuilderIdentityInfo(string Name, string Bake, DateTimeOffset? CreatedAt);

/// <summary>
/// Builder identities whose bake is over. A bake removes its own on success, failure and Ctrl-C, but a crashed or
/// killed one leaves role and profile behind, outside every cluster's IAM path, so <c>down</c> never sees them.
/// One is over when no live instance (pending to stopped: a stopped builder may still be being imaged) carries its
/// bake's tag, and it is older than <see cref="Grace"/>: a bake creates its identity before it launches the builder,
/// so a young identity without an instance may belong to a bake that is just starting.
/// </summary>
public sealed class BuilderLeftovers(IImageCloud images, IClusterCloud clusters, TimeProvider clock)
{
    public static readonly TimeSpan DefaultGrace = TimeSpan.FromHours(1);

    public TimeSpan Grace { get; init; } = DefaultGrace;

    /// <summary>The identities that are over. <paramref name="removedBakes"/>: bakes whose instances are as good as
    /// gone (a dry run of reap, which would remove their expired builders first).</summary>
    public async Task<IReadOnlyList<BuilderIdentityInfo>> FindAsync(IReadOnlySet<string> removedBakes, CancellationToken cancellationToken)
    {
        var identities = await images.ListBuilderIdentitiesAsync(cancellationToken);
        if (identities.Count == 0)
        {
            return [];
        }

        var live = (await clusters.FindInstancesAsync(null, cancellationToken))
            .Select(i => i.Cluster).Where(bake => !removedBakes.Contains(bake)).ToHashSet(StringComparer.Ordinal);
        var now = clock.GetUtcNow();
        // Without a creation time its age is unknown: kept, like a young one.
        return [.. identities
            .Where(i => !live.Contains(i.Bake) && i.CreatedAt is { } created && now - created >= Grace)
            .OrderBy(i => i.Name, StringComparer.Ordinal)];
    }

    public Task RemoveAsync(BuilderIdentityInfo identity, CancellationToken cancellationToken) =>
        images.DeleteBuilderIdentityAsync(identity.Bake, cancellationToken);
}
