namespace NodeImager.Core.Images;

/// <summary>Which golden images of one recipe a prune keeps: the newest N by build time (ties: by id, so the choice
/// is stable); everything older goes, with its snapshots.</summary>
public static class ImagePruning
{
    public static (IReadOnlyList<BakedImage> Keep, IReadOnlyList<BakedImage> Remove) Split(IEnumerable<BakedImage> images, int keep)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keep);
        var ordered = images
            .OrderByDescending(i => i.BuiltAt ?? DateTimeOffset.MinValue)
            .ThenByDescending(i => i.ImageId, StringComparer.Ordinal)
            .ToList();
        return (ordered.Take(keep).ToList(), ordered.Skip(keep).ToList());
    }

    /// <summary>Deregisters each image, then deletes its snapshots (a snapshot cannot go while an image uses it).</summary>
    public static async Task PruneAsync(IImageCloud cloud, IReadOnlyList<BakedImage> remove, Action<string> report, CancellationToken cancellationToken)
    {
        foreach (var image in remove)
        {
            await cloud.DeregisterImageAsync(image.ImageId, cancellationToken);
            foreach (var snapshot in image.SnapshotIds)
            {
                await cloud.DeleteSnapshotAsync(snapshot, cancellationToken);
            }

            report($"Deregistered {image.ImageId} ({image.Name}) and deleted {image.SnapshotIds.Count} snapshot(s)");
        }
    }
}
