using NodeImager.Core.Configuration;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;

namespace NodeImager.Core.Rendering;

/// <summary>The Scriban templates for every document, read from one folder (the one shipped beside the binary, or
/// the user's <c>--templates DIR</c>). Every template is read and parsed up front, so a missing or broken file is a
/// validation problem before anything renders.</summary>
public sealed class TemplateCatalog
{
    /// <summary>The files a template folder must hold, relative to it.</summary>
    public static IReadOnlyList<string> RequiredFiles { get; } =
    [
        "master.yaml",
        "worker.yaml",
        "image-build.yaml",
        "partials/common.yaml",
        "partials/node.env",
        "partials/lib.sh",
        "partials/steps.sh",
        "partials/containerd-config.toml",
        "partials/kubeadm-init.yaml",
        "partials/kubeadm-join.yaml",
        "partials/publish-join.sh",
        "partials/master.sh",
        "partials/worker.sh",
        "partials/image-build.sh",
    ];

    private readonly Dictionary<string, string> texts;

    private TemplateCatalog(string directory, Dictionary<string, string> texts)
    {
        Directory = directory;
        this.texts = texts;
    }

    public string Directory { get; }

    /// <summary>The shipped templates: <c>templates/</c> beside the binary.</summary>
    public static string DefaultDirectory(string toolDirectory) => Path.Combine(toolDirectory, "templates");

    /// <summary>Reads and parses every required template; each missing or unparsable one becomes a problem.</summary>
    public static TemplateCatalog Load(string directory, List<SpecProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var full = Path.GetFullPath(directory);
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!System.IO.Directory.Exists(full))
        {
            problems.Add(new SpecProblem("templates", full, $"the template folder does not exist; it must hold {string.Join(", ", RequiredFiles)}", "--templates"));
            return new TemplateCatalog(full, texts);
        }

        foreach (var name in RequiredFiles)
        {
            var path = Path.Combine(full, name);
            if (!File.Exists(path))
            {
                problems.Add(new SpecProblem("templates", full, $"missing template '{name}' (expected at {path})", "--templates"));
                continue;
            }

            var text = File.ReadAllText(path);
            var template = Template.Parse(text, name);
            if (template.HasErrors)
            {
                problems.Add(new SpecProblem("templates", path, $"template '{name}' does not parse: {string.Join("; ", template.Messages)}", "--templates"));
                continue;
            }

            texts[name] = text;
        }

        return new TemplateCatalog(full, texts);
    }

    /// <summary>Loads and throws <see cref="SpecValidationException"/> (exit 2) on any problem.</summary>
    public static TemplateCatalog LoadOrThrow(string directory)
    {
        var problems = new List<SpecProblem>();
        var catalog = Load(directory, problems);
        return problems.Count > 0 ? throw new SpecValidationException(problems) : catalog;
    }

    /// <summary>The one loader: fails loudly, naming the template and the folder it looked in.</summary>
    internal Template Get(string name) =>
        texts.TryGetValue(name, out var text)
            ? Template.Parse(text, name)
            : throw new NodeImagerException(
                $"Template '{name}' is not in {Directory}.",
                $"The folder must hold: {string.Join(", ", RequiredFiles)}.",
                ExitCodes.BadInput);

    /// <summary>Serves <c>include 'partials/x'</c> from the catalog, so partials come from the same folder.</summary>
    internal sealed class Loader(TemplateCatalog catalog) : ITemplateLoader
    {
        public string GetPath(TemplateContext context, SourceSpan callerSpan, string templateName) => templateName;

        public string Load(TemplateContext context, SourceSpan callerSpan, string templatePath) =>
            catalog.texts.TryGetValue(templatePath, out var text)
                ? text
                : throw new NodeImagerException(
                    $"Template {callerSpan.FileName} includes '{templatePath}', which is not in {catalog.Directory}.",
                    $"Partials must be one of: {string.Join(", ", RequiredFiles)}.",
                    ExitCodes.BadInput);

        public ValueTask<string?> LoadAsync(TemplateContext context, SourceSpan callerSpan, string templatePath) =>
            ValueTask.FromResult<string?>(Load(context, callerSpan, templatePath));
    }
}
