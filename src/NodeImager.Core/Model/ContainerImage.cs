using System.Text.RegularExpressions;

namespace NodeImager.Core.Model;

public static partial class ContainerImage
{
    /// <summary>registry/path:tag or @sha256 digest, e.g. registry.k8s.io/pause:3.10.1.</summary>
    public static bool IsValidReference(string text) => ReferencePattern().IsMatch(text);

    [GeneratedRegex(@"^[a-z0-9]([a-z0-9._/-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9._-]+)*(:[A-Za-z0-9._-]+)?(@sha256:[a-f0-9]{64})?$")]
    private static partial Regex ReferencePattern();
}
