using System.Text.RegularExpressions;
using NodeImager.Core.Configuration;
using NodeImager.Core.Model;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace NodeImager.Core.Images;

/// <summary>The golden-image recipes in a folder (images/ beside the binary, or --images DIR).</summary>
public sealed partial class RecipeCatalog
{
    private static readonly string[] Required = ["base", "kubernetesVersion", "instanceType"];

    private static readonly string[] Known =
    [
        "description", "base", "kubernetesVersion", "runtime", "runtime:docker", "runtime:sandboxImage",
        "prePull", "prePull:controlPlaneImages", "prePull:flannel", "prePull:images", "packages", "instanceType",
    ];

    private RecipeCatalog(string directory, IReadOnlyList<GoldenImageRecipe> recipes)
    {
        Directory = directory;
        Recipes = recipes;
    }

    public string Directory { get; }

    public IReadOnlyList<GoldenImageRecipe> Recipes { get; }

    public GoldenImageRecipe? Find(string name) => Recipes.FirstOrDefault(r => r.Name == name);

    /// <summary>Reads every *.yaml in <paramref name="directory"/>; each problem names the file, line and field.</summary>
    public static RecipeCatalog Load(string directory, List<SpecProblem> problems)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            problems.Add(new SpecProblem("images", directory, "the golden-image recipe folder does not exist; pass --images DIR or reinstall NodeImager", directory));
            return new RecipeCatalog(directory, []);
        }

        var recipes = System.IO.Directory.GetFiles(directory, "*.yaml").Order(StringComparer.Ordinal)
            .Select(f => Read(f, problems))
            .OfType<GoldenImageRecipe>()
            .ToList();
        return new RecipeCatalog(directory, recipes);
    }

    /// <summary>Reads one recipe; null (with problems added) when it is not valid.</summary>
    public static GoldenImageRecipe? Read(string path, List<SpecProblem> problems)
    {
        var before = problems.Count;
        var name = Path.GetFileNameWithoutExtension(path);
        if (!NamePatterns.IsRecipeName(name))
        {
            problems.Add(new SpecProblem("recipe name", name, "recipe file names must be lower-case letters, digits, '-' and '.', ending in .yaml", path));
        }

        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(File.ReadAllText(path)));
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode mapping)
            {
                problems.Add(new SpecProblem("recipe", path, "a recipe must be a YAML mapping with base, kubernetesVersion and instanceType", path));
                return null;
            }

            root = mapping;
        }
        catch (Exception e) when (e is YamlException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            var where = e is YamlException y ? $"{path}:{y.Start.Line}:{y.Start.Column}" : path;
            problems.Add(new SpecProblem("recipe", path, $"cannot read the recipe: {e.Message}", where));
            return null;
        }

        var values = new Dictionary<string, (YamlNode Node, string Where)>(StringComparer.Ordinal);
        Flatten(root, string.Empty);

        foreach (var field in Required.Where(f => !values.ContainsKey(f)))
        {
            problems.Add(new SpecProblem(field, null, $"missing required field '{field}'", $"{path}:{root.Start.Line}:{root.Start.Column}"));
        }

        var @base = Scalar("base");
        if (@base is not null && !ImageChoice.StockReleases.Contains(@base) && !AmiPattern().IsMatch(@base))
        {
            Problem("base", @base, $"must be {string.Join(" or ", ImageChoice.StockReleases)}, or a source AMI id like ami-0123456789abcdef0");
        }

        var versionText = Scalar("kubernetesVersion");
        var version = versionText is null ? null : KubernetesReleases.TryParse(versionText);
        if (versionText is not null && version is null)
        {
            Problem("kubernetesVersion", versionText, $"is not a supported Kubernetes version; supported minors: {KubernetesReleases.SupportedList}");
        }

        var instanceType = Scalar("instanceType");
        if (instanceType is not null && !NamePatterns.IsInstanceType(instanceType))
        {
            Problem("instanceType", instanceType, "is not an EC2 instance type like t3.medium");
        }

        var docker = Bool("runtime:docker", true);
        var sandbox = Scalar("runtime:sandboxImage");
        if (sandbox is not null && !ContainerImage.IsValidReference(sandbox))
        {
            Problem("runtime:sandboxImage", sandbox, "is not a container image reference");
        }

        var images = List("prePull:images");
        foreach (var image in images.Where(i => !ContainerImage.IsValidReference(i)))
        {
            Problem("prePull:images", image, "is not a container image reference like docker.io/library/busybox:1.36");
        }

        var packages = List("packages");
        foreach (var package in packages.Where(p => !PackagePattern().IsMatch(p)))
        {
            Problem("packages", package, "is not a Debian package name (optionally name=version)");
        }

        var recipe = problems.Count > before ? null : new GoldenImageRecipe
        {
            Name = name,
            SourcePath = path,
            Description = Scalar("description") ?? string.Empty,
            Base = @base!,
            KubernetesVersion = version!,
            Runtime = new RuntimeSpec(docker, sandbox),
            PrePullControlPlane = Bool("prePull:controlPlaneImages", true),
            PrePullFlannel = Bool("prePull:flannel", true),
            PrePullImages = images,
            Packages = packages,
            InstanceType = instanceType!,
        };
        return problems.Count > before ? null : recipe;

        void Flatten(YamlMappingNode mapping, string prefix)
        {
            foreach (var (k, v) in mapping.Children)
            {
                var key = prefix + ((k as YamlScalarNode)?.Value ?? string.Empty);
                var where = $"{path}:{k.Start.Line}:{k.Start.Column}";
                if (!Known.Contains(key))
                {
                    var suggestion = Spelling.Closest(key, Known);
                    problems.Add(new SpecProblem(key, null, $"unknown field{(suggestion is null ? string.Empty : $"; did you mean '{suggestion}'?")} Known fields: {string.Join(", ", Known)}", where));
                }
                else if (v is YamlMappingNode nested && Known.Any(f => f.StartsWith(key + ":", StringComparison.Ordinal)))
                {
                    Flatten(nested, key + ":");
                }
                else
                {
                    values[key] = (v, where);
                }
            }
        }

        void Problem(string field, string? value, string text) =>
            problems.Add(new SpecProblem(field, value, text, values.TryGetValue(field, out var v) ? v.Where : path));

        string? Scalar(string field)
        {
            if (!values.TryGetValue(field, out var v))
            {
                return null;
            }

            if (v.Node is YamlScalarNode { Value: { Length: > 0 } text })
            {
                return text;
            }

            Problem(field, null, "must be a single non-empty value");
            return null;
        }

        bool Bool(string field, bool fallback) => Scalar(field) switch
        {
            null => fallback,
            "true" or "yes" or "on" => true,
            "false" or "no" or "off" => false,
            var other => Fail(other),
        };

        bool Fail(string value)
        {
            Problem(values.First(kv => kv.Value.Node is YamlScalarNode s && s.Value == value).Key, value, "must be true or false");
            return false;
        }

        IReadOnlyList<string> List(string field)
        {
            if (!values.TryGetValue(field, out var v))
            {
                return [];
            }

            if (v.Node is YamlSequenceNode seq && seq.Children.All(c => c is YamlScalarNode))
            {
                return seq.Children.Select(c => ((YamlScalarNode)c).Value ?? string.Empty).ToList();
            }

            Problem(field, null, "must be a list of values");
            return [];
        }
    }

    [GeneratedRegex(@"^ami-[0-9a-f]{8,17}$")]
    private static partial Regex AmiPattern();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$")]
    private static partial Regex PackagePattern();
}
