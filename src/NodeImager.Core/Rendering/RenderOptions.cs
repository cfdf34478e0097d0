namespace NodeImager.Core.Rendering;

/// <summary>What a golden image says about itself (/etc/nodeimager/golden.json) and what a node booting from it
/// expects: the recipe, a hash of the recipe's content and the Kubernetes version baked in.</summary>
public sealed record GoldenImageMarker(string Recipe, string RecipeHash, string KubernetesVersion);

/// <summary>Per-launch inputs that are not part of the cluster spec.</summary>
/// <param name="ExpiresAt">When set, every node powers itself off at this UTC time (dead-man switch).</param>
/// <param name="Golden">Master/worker: the image nodes boot from; they skip installing when its marker matches.
/// Image build: the marker to write.</param>
/// <param name="Build">Image build only: the recipe's extra packages and pre-pulled images (none when null).</param>
public sealed record RenderOptions(DateTimeOffset? ExpiresAt, GoldenImageMarker? Golden = null, ImageBuildContent? Build = null);
