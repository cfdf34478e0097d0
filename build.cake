// NodeImager build: dotnet tool restore && dotnet cake [--target=TASK] [--configuration=Release]
// Tasks: Clean, Build, Format, Test (default), Publish, Emulator-Start, Emulator-Stop, Benchmark, Demo.
var target = Argument("target", "Default");
var pace = Argument("pace", "0.1");
var workers = Argument("workers", "3");
var configuration = Argument("configuration", "Release");
var runtime = Argument("runtime", "linux-x64");
var solution = "./NodeImager.sln";
var artifacts = Directory("./artifacts");

Task("Clean")
    .Does(() =>
{
    CleanDirectories("./src/**/bin");
    CleanDirectories("./src/**/obj");
    CleanDirectories("./tests/**/bin");
    CleanDirectories("./tests/**/obj");
    CleanDirectory(artifacts);
});

Task("Build")
    .Does(() =>
{
    // Warnings are errors (Directory.Build.props), code style is enforced in the build.
    DotNetBuild(solution, new DotNetBuildSettings { Configuration = configuration });
});

Task("Format")
    .Does(() =>
{
    DotNetFormat(solution, new DotNetFormatSettings { VerifyNoChanges = true, NoRestore = false });
});

Task("Test")
    .IsDependentOn("Build")
    .IsDependentOn("Format")
    .Does(() =>
{
    // Integration tests start their own peers (moto in the trixie chroot, sshd on loopback): see tests/tools/.
    var results = artifacts + Directory("test-results");
    CleanDirectory(results);
    DotNetTest(solution, new DotNetTestSettings
    {
        Configuration = configuration,
        NoBuild = true,
        ResultsDirectory = results,
        Loggers = new[] { "trx", "console;verbosity=normal" },
    });
});

Task("Publish")
    .IsDependentOn("Test")
    .Does(() =>
{
    // A self-contained single file: no .NET runtime needed on the operator's machine; templates/ and images/ are
    // data files beside it so users can read and override them.
    DotNetPublish("./src/NodeImager/NodeImager.csproj", new DotNetPublishSettings
    {
        Configuration = configuration,
        Runtime = runtime,
        SelfContained = true,
        PublishSingleFile = true,
        OutputDirectory = artifacts + Directory("nodeimager-" + runtime),
    });
});

Task("Emulator-Start")
    .Does(() => StartProcessOrFail("tests/tools/emulator.sh", "start"));

Task("Emulator-Stop")
    .Does(() => StartProcessOrFail("tests/tools/emulator.sh", "stop"));

Task("Benchmark")
    .IsDependentOn("Build")
    .Does(() =>
{
    // Figures, not pass/fail: up --no-wait and down against the emulator for 50 and 3 workers.
    var code = StartProcess("tests/benchmarks/up-down.sh", new ProcessSettings
    {
        EnvironmentVariables = new Dictionary<string, string> { ["NODEIMAGER_BENCH_CONFIGURATION"] = configuration },
    });
    if (code != 0)
    {
        throw new Exception($"tests/benchmarks/up-down.sh exited with {code}");
    }
});

Task("Demo")
    .IsDependentOn("Build")
    .Does(() =>
{
    // `nodeimager up --workers 3` against the AWS emulator with SIMULATED nodes, then status, logs, down (Linux, root).
    // --pace scales typical EC2 step times (0 instant, 1 real time); the cluster's files go to artifacts/demo.
    var code = StartProcess("dotnet", new ProcessSettings
    {
        Arguments = new ProcessArgumentBuilder()
            .Append($"tests/NodeImager.SelfAssembly.Tests/bin/{configuration}/net10.0/NodeImager.SelfAssembly.Tests.dll")
            .Append("demo").Append("--workers").Append(workers).Append("--pace").Append(pace),
    });
    if (code != 0)
    {
        throw new Exception($"the demo exited with {code}");
    }
});

Task("Default")
    .IsDependentOn("Test");

void StartProcessOrFail(string file, string arguments)
{
    var code = StartProcess(file, new ProcessSettings { Arguments = arguments });
    if (code != 0)
    {
        throw new Exception($"{file} {arguments} exited with {code}");
    }
}

RunTarget(target);
