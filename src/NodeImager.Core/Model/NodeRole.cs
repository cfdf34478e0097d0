namespace NodeImager.Core.Model;

public enum NodeRole
{
    Master,
    Worker,
}

public static class NodeRoleNames
{
    /// <summary>The lower-case name used in tags, parameter paths and templates.</summary>
    public static string Name(this NodeRole role) => role switch
    {
        NodeRole.Master => "master",
        NodeRole.Worker => "worker",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };
}
