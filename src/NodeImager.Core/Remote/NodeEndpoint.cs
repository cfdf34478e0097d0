namespace NodeImager.Core.Remote;

/// <summary>How to reach one node over SSH: where, as whom, with which key, and where its host key is remembered.</summary>
public sealed record NodeEndpoint(string Host, int Port, string User, string PrivateKeyPath, string KnownHostsPath)
{
    /// <summary>Ubuntu cloud images log the default key in as <c>ubuntu</c>.</summary>
    public const string DefaultUser = "ubuntu";

    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Covers the TCP connect, the SSH handshake and authentication.</summary>
    public TimeSpan ConnectTimeout { get; init; } = DefaultConnectTimeout;

    /// <summary>A name for messages: what a user would type after <c>ssh -p</c>.</summary>
    public string Display => Port == 22 ? $"{User}@{Host}" : $"{User}@{Host}:{Port}";

    public static NodeEndpoint For(NodeAddress node, ClusterFiles files, string privateKeyPath, string user = DefaultUser) =>
        new(node.Reachable ?? throw new ArgumentException($"Node {node.InstanceId} has no address.", nameof(node)), node.SshPort, user, privateKeyPath, files.KnownHosts);
}
