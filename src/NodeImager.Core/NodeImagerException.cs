namespace NodeImager.Core;

/// <summary>Exit codes shared by every command.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int BadInput = 2;
    public const int Cancelled = 130;
}

/// <summary>
/// An expected error: the user sees the message and the hint, never a stack trace.
/// Anything else that escapes a command is a bug and is reported as one.
/// </summary>
public class NodeImagerException : Exception
{
    public NodeImagerException(string message, string? hint = null, int exitCode = ExitCodes.Failure, Exception? inner = null)
        : base(message, inner)
    {
        Hint = hint;
        ExitCode = exitCode;
    }

    public string? Hint { get; }

    public int ExitCode { get; }
}
