namespace NodeImager.Core.Rendering;

/// <summary>What a golden-image recipe adds to the image-build document beyond the install every node does: extra
/// packages and extra pre-pulled images, and whether the control-plane and flannel images are pre-pulled.</summary>
public sealed record ImageBuildContent(
    IReadOnlyList<string> Packages,
    IReadOnlyList<string> PrePullImages,
    bool PrePullControlPlane = true,
    bool PrePullFlannel = true)
{
    public static ImageBuildContent None { get; } = new([], []);
}
