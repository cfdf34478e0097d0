using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using NodeImager.Core.Model;

namespace NodeImager.Core.Configuration;

/// <summary>Merges the configuration layers and turns them into a validated <see cref="ClusterSpec"/>, collecting
/// every problem before failing (exit code 2), so a user fixes them all in one go.</summary>
public static partial class ClusterSpecLoader
{
    public const string DefaultConfigFileName = "nodeimager.yaml";

    /// <summary>Variables with the NODEIMAGER_ prefix that set up the tool itself rather than the cluster.</summary>
    public static readonly IReadOnlySet<string> ToolVariables = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "NODEIMAGER_HOME", "NODEIMAGER_CHROOT", "NODEIMAGER_TEMPLATES", "NODEIMAGER_IMAGES",
    };

    public static ClusterSpec Load(ConfigInputs inputs)
    {
        var problems = new List<SpecProblem>();
        var spec = Load(inputs, problems);
        if (problems.Count > 0)
        {
            throw new SpecValidationException(problems);
        }

        return spec!;
    }

    /// <summary>Adds every problem to <paramref name="problems"/>; returns null when the spec cannot be built.</summary>
    public static ClusterSpec? Load(ConfigInputs inputs, List<SpecProblem> problems)
    {
        var root = Build(inputs, problems);
        return Bind(root, problems);
    }

    internal static IConfigurationRoot Build(ConfigInputs inputs, List<SpecProblem> problems)
    {
        var defaults = ConfigKeys.All.Where(k => k.Shape != ConfigKeyShape.Map)
            .ToDictionary(k => k.Path, k => (string?)k.Default, StringComparer.OrdinalIgnoreCase);

        var builder = new ConfigurationBuilder()
            .Add(new DescribedSource(new LayerProvider(defaults, _ => "built-in default")));

        var path = inputs.ConfigFile is null ? System.IO.Path.Combine(inputs.WorkingDirectory, DefaultConfigFileName) : System.IO.Path.GetFullPath(inputs.ConfigFile, inputs.WorkingDirectory);
        if (inputs.ConfigFile is not null || File.Exists(path))
        {
            if (!File.Exists(path))
            {
                problems.Add(new SpecProblem("--config", inputs.ConfigFile, "no such file; pass an existing YAML file or leave --config out", "command line"));
            }
            else
            {
                var file = YamlConfigFile.Read(path, problems);
                builder.Add(new DescribedSource(new LayerProvider(file.Values, key => file.Positions.GetValueOrDefault(key, path))));
            }
        }

        builder.Add(new DescribedSource(new LayerProvider(FromEnvironment(inputs.Environment, problems), key => $"environment {Find(key)?.EnvironmentVariable ?? "NODEIMAGER_TAGS"}")));

        var flags = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var flagNames = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var group in inputs.Flags.GroupBy(f => f.Path, StringComparer.OrdinalIgnoreCase))
        {
            var key = Find(group.Key);
            flags[group.Key] = key?.Shape == ConfigKeyShape.List ? string.Join(",", group.Select(f => f.Value)) : group.Last().Value;
            flagNames[group.Key] = group.First().Flag;
        }

        builder.Add(new DescribedSource(new LayerProvider(flags, key => flagNames.GetValueOrDefault(key, "command line"))));
        return builder.Build();
    }

    private static Dictionary<string, string?> FromEnvironment(IReadOnlyDictionary<string, string> environment, List<SpecProblem> problems)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in environment)
        {
            if (!name.StartsWith("NODEIMAGER_", StringComparison.OrdinalIgnoreCase) || ToolVariables.Contains(name) || name.StartsWith("NODEIMAGER_TEST_", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var key = ConfigKeys.All.FirstOrDefault(k => string.Equals(k.EnvironmentVariable, name, StringComparison.OrdinalIgnoreCase));
            if (key is null)
            {
                var known = string.Join(", ", ConfigKeys.All.Select(k => k.EnvironmentVariable));
                problems.Add(new SpecProblem(name, value, $"unknown NodeImager variable; known ones: {known}", "environment"));
            }
            else if (key.Shape == ConfigKeyShape.Map)
            {
                foreach (var pair in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    var (tagKey, tagValue) = SplitTag(pair);
                    values[$"{key.Path}:{tagKey}"] = tagValue;
                }
            }
            else
            {
                values[key.Path] = value;
            }
        }

        return values;
    }

    /// <summary>"team=platform" -> ("team", "platform"); a missing '=' gives an empty value.</summary>
    public static (string Key, string Value) SplitTag(string pair)
    {
        var at = pair.IndexOf('=', StringComparison.Ordinal);
        return at < 0 ? (pair.Trim(), string.Empty) : (pair[..at].Trim(), pair[(at + 1)..].Trim());
    }

    private static ConfigKey? Find(string path) =>
        ConfigKeys.Find(path) ?? (path.StartsWith(ConfigKeys.Tags.Path + ":", StringComparison.OrdinalIgnoreCase) ? ConfigKeys.Tags : null);

    /// <summary>Where the winning value of a key came from (the last layer that has it).</summary>
    internal static string SourceOf(IConfigurationRoot root, string path)
    {
        foreach (var provider in root.Providers.Reverse())
        {
            if (provider is DescribedProvider described && provider.TryGet(path, out _))
            {
                return described.Describe(path);
            }
        }

        return "built-in default";
    }

    private static ClusterSpec? Bind(IConfigurationRoot root, List<SpecProblem> problems)
    {
        var before = problems.Count;

        string Value(ConfigKey key) => root[key.Path] ?? key.Default;
        void Problem(ConfigKey key, string problem) => problems.Add(new SpecProblem(key.Path, Value(key), problem, SourceOf(root, key.Path)));

        var name = Value(ConfigKeys.Name).Trim();
        if (!ClusterNamePattern().IsMatch(name))
        {
            Problem(ConfigKeys.Name, "must be 1-40 characters of lower-case letters, digits and '-', start with a letter and not end with '-' (it becomes part of DNS names, tags and IAM role names)");
        }

        var region = Value(ConfigKeys.Region).Trim();
        if (region.Length > 0 && !RegionPattern().IsMatch(region))
        {
            Problem(ConfigKeys.Region, "is not an AWS region name like eu-west-1 or us-east-1");
        }

        var version = KubernetesReleases.TryParse(Value(ConfigKeys.KubernetesVersion));
        if (version is null)
        {
            Problem(ConfigKeys.KubernetesVersion, $"is not a supported Kubernetes version; supported minors: {KubernetesReleases.SupportedList} (give a minor like 1.37, or pin a patch like 1.37.2)");
        }

        var masters = Count(ConfigKeys.Masters, 1, 1, "HA control planes (more than one master) are not supported yet; use 1");
        var workers = Count(ConfigKeys.Workers, 0, 200, "allowed: 0 to 200 workers");

        var masterType = InstanceType(ConfigKeys.MasterInstanceType);
        var workerType = InstanceType(ConfigKeys.WorkerInstanceType);

        var pod = CidrOf(ConfigKeys.PodCidr);
        var service = CidrOf(ConfigKeys.ServiceCidr);
        if (pod is not null && service is not null && pod.Overlaps(service))
        {
            Problem(ConfigKeys.ServiceCidr, $"overlaps the pod network {pod}; pick two networks that do not overlap (defaults: pods 10.244.0.0/16, services 10.96.0.0/12)");
        }

        if (pod is not null && pod.PrefixLength > 24)
        {
            Problem(ConfigKeys.PodCidr, "is too small: flannel gives every node a /24, so the pod network must be /24 or larger (e.g. /16)");
        }

        if (service is not null && service.PrefixLength is < 12 or > 24)
        {
            Problem(ConfigKeys.ServiceCidr, "must be between /12 and /24 (the API server refuses larger service networks)");
        }

        var docker = Bool(ConfigKeys.RuntimeDocker);
        var sandbox = Value(ConfigKeys.RuntimeSandboxImage).Trim();
        if (sandbox.Length > 0 && !ContainerImage.IsValidReference(sandbox))
        {
            Problem(ConfigKeys.RuntimeSandboxImage, "is not a container image reference like registry.k8s.io/pause:3.10.1");
        }

        var firewall = Bool(ConfigKeys.Firewall);

        var adminCidrs = new List<Cidr>();
        foreach (var item in Value(ConfigKeys.AdminCidrs).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Cidr.TryParse(item, out var cidr, out var error))
            {
                adminCidrs.Add(cidr);
            }
            else
            {
                problems.Add(new SpecProblem(ConfigKeys.AdminCidrs.Path, item, error, SourceOf(root, ConfigKeys.AdminCidrs.Path)));
            }
        }

        var ttl = Duration(ConfigKeys.Ttl, allowNone: true, TimeSpan.FromMinutes(10), TimeSpan.FromDays(30));
        var joinTimeout = Duration(ConfigKeys.JoinTimeout, allowNone: false, TimeSpan.FromMinutes(1), TimeSpan.FromHours(24));

        var image = Value(ConfigKeys.Image).Trim();
        if (!ImageChoice.StockReleases.Contains(image) && !NamePatterns.IsRecipeName(image))
        {
            Problem(ConfigKeys.Image, $"must be {string.Join(" or ", ImageChoice.StockReleases)}, or a golden-image recipe name (lower-case letters, digits, '-', '.')");
        }

        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        // Tag keys may contain ':' (the configuration's own separator), so read every leaf below "tags".
        foreach (var (tagKey, tagValue) in root.GetSection(ConfigKeys.Tags.Path).AsEnumerable(makePathsRelative: true))
        {
            if (tagValue is null)
            {
                continue;
            }

            var path = $"{ConfigKeys.Tags.Path}:{tagKey}";
            var where = SourceOf(root, path);
            if (tagKey.StartsWith("aws:", StringComparison.OrdinalIgnoreCase) || tagKey.StartsWith("nodeimager:", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add(new SpecProblem(path, tagValue, "tag keys starting with aws: or nodeimager: are reserved", where));
            }
            else if (tagKey.Length is 0 or > 128 || tagValue.Length > 256)
            {
                problems.Add(new SpecProblem(path, tagValue, "tag keys must be 1-128 characters and values at most 256", where));
            }
            else
            {
                tags[tagKey] = tagValue;
            }
        }

        if (tags.Count > 40)
        {
            problems.Add(new SpecProblem(ConfigKeys.Tags.Path, $"{tags.Count} tags", "at most 40 extra tags (EC2 allows 50 and NodeImager uses the rest)", SourceOf(root, ConfigKeys.Tags.Path)));
        }

        if (problems.Count > before)
        {
            return null;
        }

        return new ClusterSpec
        {
            Name = name,
            Region = region.Length == 0 ? null : region,
            KubernetesVersion = version!,
            Masters = masters,
            Workers = workers,
            InstanceTypes = new InstanceTypes(masterType, workerType),
            PodCidr = pod!,
            ServiceCidr = service!,
            Runtime = new RuntimeSpec(docker, sandbox.Length == 0 ? null : sandbox),
            Firewall = firewall,
            AdminCidrs = adminCidrs,
            Ttl = ttl,
            JoinTimeout = joinTimeout ?? TimeSpan.FromMinutes(30),
            Image = new ImageChoice(image),
            Tags = tags,
        };

        int Count(ConfigKey key, int min, int max, string allowed)
        {
            if (!int.TryParse(Value(key), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                Problem(key, $"is not a whole number; {allowed}");
                return min;
            }

            if (n < min || n > max)
            {
                Problem(key, $"is out of range; {allowed}");
            }

            return n;
        }

        string InstanceType(ConfigKey key)
        {
            var value = Value(key).Trim();
            if (!NamePatterns.IsInstanceType(value))
            {
                Problem(key, "is not an EC2 instance type like t3.medium or m7i.large");
            }

            return value;
        }

        Cidr? CidrOf(ConfigKey key)
        {
            if (Cidr.TryParse(Value(key), out var cidr, out var error))
            {
                return cidr;
            }

            Problem(key, error);
            return null;
        }

        bool Bool(ConfigKey key)
        {
            switch (Value(key).Trim().ToLowerInvariant())
            {
                case "true" or "yes" or "on" or "1":
                    return true;
                case "false" or "no" or "off" or "0":
                    return false;
                default:
                    Problem(key, "must be true or false");
                    return false;
            }
        }

        TimeSpan? Duration(ConfigKey key, bool allowNone, TimeSpan min, TimeSpan max)
        {
            var text = Value(key).Trim().ToLowerInvariant();
            if (allowNone && text is "none" or "0" or "never")
            {
                return null;
            }

            var parsed = ParseDuration(text);
            if (parsed is null)
            {
                Problem(key, $"is not a duration like 30m, 8h or 2d{(allowNone ? ", or 'none'" : string.Empty)}");
                return null;
            }

            if (parsed < min || parsed > max)
            {
                Problem(key, $"must be between {Format(min)} and {Format(max)}");
            }

            return parsed;
        }
    }

    /// <summary>"90m", "8h", "2d", "1h30m" -> a TimeSpan; null when malformed.</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        var matches = DurationPartPattern().Matches(text);
        if (matches.Count == 0 || string.Concat(matches.Select(m => m.Value)) != text)
        {
            return null;
        }

        var total = TimeSpan.Zero;
        foreach (Match m in matches)
        {
            var n = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            total += m.Groups[2].Value switch
            {
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                _ => TimeSpan.FromDays(n),
            };
        }

        return total;
    }

    public static string Format(TimeSpan span) =>
        span.TotalDays >= 1 && span.TotalDays == Math.Floor(span.TotalDays) ? $"{span.TotalDays}d"
        : span.TotalHours >= 1 && span.TotalHours == Math.Floor(span.TotalHours) ? $"{span.TotalHours}h"
        : $"{span.TotalMinutes}m";

    [GeneratedRegex(@"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$")]
    private static partial Regex ClusterNamePattern();

    [GeneratedRegex(@"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")]
    private static partial Regex RegionPattern();

    [GeneratedRegex(@"(\d{1,5})([smhd])")]
    private static partial Regex DurationPartPattern();
}
