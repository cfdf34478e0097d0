using Microsoft.Extensions.DependencyInjection;
using NodeImager.Cli.Commands;
using NodeImager.Cli.Infrastructure;
using Spectre.Console;

// Ctrl-C cancels the token; commands stop launching, clean up what they must and return 130.
// No Environment.Exit here: a half-built cluster needs its cleanup to run.
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

var app = NodeImagerApp.Create(AnsiConsole.Console, services => services.AddSingleton(TerminalStreams.Process()));
return await app.RunAsync(args, cancellation.Token);
