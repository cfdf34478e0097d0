using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace NodeImager.Core.Configuration;

/// <summary>
/// A nodeimager.yaml read into flat configuration keys, remembering the line and column of every key so that each
/// problem can point at its place. Unknown keys are problems, not silently ignored.
/// </summary>
public sealed class YamlConfigFile
{
    private YamlConfigFile(string path)
    {
        Path = path;
    }

    public string Path { get; }

    /// <summary>Flat keys ("instanceTypes:master", "tags:team", "adminCidrs" as a comma-joined list).</summary>
    public Dictionary<string, string?> Values { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>"file:line:col" for each flat key.</summary>
    public Dictionary<string, string> Positions { get; } = new(StringComparer.OrdinalIgnoreCase);

    public static YamlConfigFile Read(string path, ICollection<SpecProblem> problems)
    {
        var file = new YamlConfigFile(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add(new SpecProblem("--config", path, $"cannot read the file: {e.Message}", path));
            return file;
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            var where = $"{path}:{e.Start.Line}:{e.Start.Column}";
            problems.Add(new SpecProblem("--config", path, $"not valid YAML at line {e.Start.Line}, column {e.Start.Column}: {Innermost(e).Message}", where));
            return file;
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner sometimes fails without a position; the last event it parsed gives one.
            var (line, column) = LastGoodPosition(text);
            problems.Add(new SpecProblem("--config", path, $"not valid YAML near line {line}, column {column}: {e.Message}", $"{path}:{line}:{column}"));
            return file;
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return file;
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            var node = stream.Documents[0].RootNode;
            problems.Add(new SpecProblem("--config", path, "the file must be a YAML mapping of keys (name: ..., workers: ...)", file.At(node)));
            return file;
        }

        file.ReadMapping(root, prefix: string.Empty, problems);
        return file;
    }

    private void ReadMapping(YamlMappingNode mapping, string prefix, ICollection<SpecProblem> problems)
    {
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var name = (keyNode as YamlScalarNode)?.Value ?? string.Empty;
            var path = prefix + name;
            var key = ConfigKeys.Find(path);
            var where = At(keyNode);

            if (key?.Shape == ConfigKeyShape.Map)
            {
                ReadMap(key, valueNode, problems);
            }
            else if (key is null && ConfigKeys.IsSection(path))
            {
                if (valueNode is YamlMappingNode section)
                {
                    ReadMapping(section, path + ":", problems);
                }
                else
                {
                    problems.Add(new SpecProblem(path, null, "must be a mapping of keys: " + string.Join(", ", ConfigKeys.All.Where(k => k.Path.StartsWith(path + ":", StringComparison.OrdinalIgnoreCase)).Select(k => k.Path)), where));
                }
            }
            else if (key is null)
            {
                var suggestion = Spelling.Closest(path, ConfigKeys.All.Select(k => k.Path));
                var hint = suggestion is null ? string.Empty : $"; did you mean '{suggestion}'?";
                problems.Add(new SpecProblem(path, null, $"unknown key{hint} Known keys: {string.Join(", ", ConfigKeys.All.Select(k => k.Path))}", where));
            }
            else if (key.Shape == ConfigKeyShape.List)
            {
                var items = valueNode switch
                {
                    YamlSequenceNode seq => seq.Children.Select(c => (c as YamlScalarNode)?.Value ?? string.Empty).ToList(),
                    YamlScalarNode { Value: null or "" } => [],
                    YamlScalarNode scalar => [scalar.Value!],
                    _ => null,
                };
                if (items is null)
                {
                    problems.Add(new SpecProblem(key.Path, null, "must be a list of values", where));
                    continue;
                }

                Set(key.Path, string.Join(",", items), where);
            }
            else if (valueNode is YamlScalarNode scalar)
            {
                Set(key.Path, scalar.Value ?? string.Empty, where);
            }
            else
            {
                problems.Add(new SpecProblem(key.Path, null, "must be a single value, not a list or mapping", where));
            }
        }
    }

    private void ReadMap(ConfigKey key, YamlNode node, ICollection<SpecProblem> problems)
    {
        if (node is YamlScalarNode { Value: null or "" })
        {
            return;
        }

        if (node is not YamlMappingNode map)
        {
            problems.Add(new SpecProblem(key.Path, null, "must be a mapping of tag keys to values", At(node)));
            return;
        }

        foreach (var (k, v) in map.Children)
        {
            var name = (k as YamlScalarNode)?.Value ?? string.Empty;
            if (v is not YamlScalarNode value)
            {
                problems.Add(new SpecProblem($"{key.Path}:{name}", null, "a tag value must be a single string", At(k)));
                continue;
            }

            Set($"{key.Path}:{name}", value.Value ?? string.Empty, At(k));
        }
    }

    private void Set(string path, string value, string where)
    {
        Values[path] = value;
        Positions[path] = where;
    }

    private string At(YamlNode node) => $"{Path}:{node.Start.Line}:{node.Start.Column}";

    private static (long Line, long Column) LastGoodPosition(string text)
    {
        var parser = new Parser(new StringReader(text));
        Mark mark = Mark.Empty;
        try
        {
            while (parser.MoveNext())
            {
                mark = parser.Current!.End;
            }
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException)
        {
        }

        return (mark.Line, mark.Column);
    }

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);
}
