using NodeImager.Core.Configuration;

namespace NodeImager.Tests;

/// <summary>The README documents every configuration key with its default; these tests keep it true.</summary>
public sealed class ReadmeTests
{
    private static readonly string Readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));

    public static TheoryData<string> Keys() => [.. ConfigKeys.All.Select(k => k.Path)];

    [Theory]
    [MemberData(nameof(Keys))]
    public void Every_key_is_documented_with_its_default_and_variable(string path)
    {
        var key = ConfigKeys.Find(path)!;
        var row = Readme.Split('\n').FirstOrDefault(l => l.StartsWith($"| `{key.Path}` |", StringComparison.Ordinal));

        Assert.NotNull(row);
        Assert.Contains($"`{(key.Default.Length == 0 ? "(empty)" : key.Default)}`", row);
        Assert.Contains($"`{key.EnvironmentVariable}`", row);
        if (key.Flag is not null)
        {
            Assert.Contains($"`{key.Flag}`", row);
        }
    }

    [Fact]
    public void Opens_with_the_set_up_and_main_job_and_test_commands()
    {
        var firstBlock = Readme.Split("```")[1];

        Assert.Contains(".ci/setup && dotnet cake --target=Test", firstBlock);
        Assert.Contains("up --workers 3", firstBlock);
        Assert.Contains(".ci/setup && dotnet cake --target=Test", File.ReadAllText(Path.Combine(RepositoryRoot(), ".ci", "run")));
    }

    [Fact]
    public void The_demo_it_offers_people_without_aws_is_a_cake_task()
    {
        var secondBlock = Readme.Split("```")[3];

        Assert.Contains("dotnet cake --target=Demo", secondBlock);
        Assert.Contains("Task(\"Demo\")", File.ReadAllText(Path.Combine(RepositoryRoot(), "build.cake")));
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NodeImager.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("NodeImager.sln not found");
    }
}
