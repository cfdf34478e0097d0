using System.Text.RegularExpressions;

namespace NodeImager.Core.Model;

/// <summary>Name shapes checked in more than one input (cluster configuration, golden-image recipes).</summary>
public static partial class NamePatterns
{
    /// <summary>An EC2 instance type such as t3.medium or m7i.large.</summary>
    public static bool IsInstanceType(string text) => InstanceType().IsMatch(text);

    /// <summary>A golden-image recipe name: the file name of images/NAME.yaml.</summary>
    public static bool IsRecipeName(string text) => RecipeName().IsMatch(text);

    [GeneratedRegex(@"^[a-z][a-z0-9-]*\.[a-z0-9]+$")]
    private static partial Regex InstanceType();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9.-]{0,62}$")]
    private static partial Regex RecipeName();
}
