using System.Globalization;
using NodeImager.Core.Model;

namespace NodeImager.Core.Images;

/// <summary>Tag keys and names of bakes and golden images. <c>up --image RECIPE</c> finds images by
/// <see cref="Recipe"/> and <see cref="KubernetesVersion"/> (AwsClusterCloud.FindRecipeImageAsync), so these must not drift.</summary>
public static class ImageTags
{
    public const string Recipe = "nodeimager:recipe";
    public const string RecipeHash = "nodeimager:recipe-hash";
    public const string KubernetesVersion = "nodeimager:kubernetes-version";
    public const string SourceAmi = "nodeimager:source-ami";
    public const string BuiltAt = "nodeimager:built-at";

    /// <summary>On the builder's resources: which recipe it is building.</summary>
    public const string Builder = "nodeimager:builder";

    /// <summary>The node role the builder reports as (contract: master|worker|builder).</summary>
    public const string BuilderRole = "builder";

    /// <summary>bake-&lt;recipe&gt;-&lt;id&gt;: the builder's "cluster" name, so its status parameter lives under
    /// /nodeimager/bake-&lt;recipe&gt;-&lt;id&gt;/status/ like any node's.</summary>
    public static string BakeName(string recipe, string id) => $"bake-{recipe}-{id}";

    /// <summary>nodeimager/&lt;recipe&gt;/&lt;kubernetes-version&gt;/&lt;timestamp&gt; (AMI names allow '/', '.', '-' and digits).</summary>
    public static string ImageName(string recipe, string kubernetesVersion, DateTimeOffset builtAt) =>
        $"nodeimager/{recipe}/{kubernetesVersion}/{builtAt.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}";

    public static string StatusParameter(string bake, string instanceId) => ClusterNaming.StatusPath(bake) + instanceId;

    public static string FormatTime(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
