namespace NodeImager.Core.Model;

/// <summary>What nodes boot from: a stock Ubuntu LTS release, or a golden image baked from a recipe in images/.</summary>
public sealed record ImageChoice(string Value)
{
    public static readonly IReadOnlyList<string> StockReleases = ["ubuntu-24.04", "ubuntu-26.04"];

    public static ImageChoice Default { get; } = new("ubuntu-24.04");

    public bool IsStock => StockReleases.Contains(Value);

    /// <summary>The golden recipe's name when this is not a stock release.</summary>
    public string? Recipe => IsStock ? null : Value;

    /// <summary>"24.04" for stock images.</summary>
    public string? UbuntuRelease => IsStock ? Value["ubuntu-".Length..] : null;

    public override string ToString() => Value;
}
