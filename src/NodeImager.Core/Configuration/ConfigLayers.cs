using Microsoft.Extensions.Configuration;

namespace NodeImager.Core.Configuration;

/// <summary>A configuration layer that also says where each of its values came from.</summary>
internal abstract class DescribedProvider : ConfigurationProvider
{
    public abstract string Describe(string key);
}

internal sealed class DescribedSource(DescribedProvider provider) : IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) => provider;
}

/// <summary>One layer from a ready dictionary: built-in defaults, the YAML file, the environment, or flags.</summary>
internal sealed class LayerProvider : DescribedProvider
{
    private readonly Func<string, string> describe;

    public LayerProvider(IDictionary<string, string?> values, Func<string, string> describe)
    {
        this.describe = describe;
        foreach (var (key, value) in values)
        {
            Data[key] = value;
        }
    }

    public override string Describe(string key) => describe(key);
}

/// <summary>A value given on the command line, already matched to its key (tags as "tags:KEY").</summary>
public sealed record FlagValue(string Path, string Value, string Flag);

/// <summary>Everything the configuration is made of, in the order later wins:
/// built-in defaults &lt; nodeimager.yaml (or --config FILE) &lt; NODEIMAGER_* environment &lt; command-line flags.</summary>
public sealed record ConfigInputs
{
    /// <summary>--config FILE; when null, ./nodeimager.yaml is read if it exists.</summary>
    public string? ConfigFile { get; init; }

    public string WorkingDirectory { get; init; } = Directory.GetCurrentDirectory();

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<FlagValue> Flags { get; init; } = [];

    public static IReadOnlyDictionary<string, string> ProcessEnvironment() =>
        System.Environment.GetEnvironmentVariables()
            .Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? string.Empty, StringComparer.Ordinal);
}
