using System.Text.Json;
using System.Text.Json.Nodes;
using NodeImager.Core.Model;

namespace NodeImager.Aws.Iam;

/// <summary>
/// Names and policy documents of a cluster's node identities: one role + instance profile per node role, each allowed
/// only its own side of the cluster's parameter path (the master publishes join material, workers read it, every
/// node reports its status). Nothing else: a node that is compromised cannot read or spoil another cluster.
/// </summary>
public static class NodeIdentityPolicy
{
    public const string InlinePolicyName = "nodeimager-parameters";
    public const string DefaultPartition = "aws";

    /// <summary>The node roles that get an identity.</summary>
    public static IReadOnlyList<NodeRole> Roles { get; } = [NodeRole.Master, NodeRole.Worker];

    /// <summary>Role and instance profile share this name: nodeimager-&lt;cluster&gt;-master|worker.</summary>
    public static string Name(string cluster, NodeRole role) => $"nodeimager-{cluster}-{role.Name()}";

    /// <summary>The IAM path that holds everything of one cluster, so listing by prefix finds exactly it.</summary>
    public static string Path(string cluster) => $"/nodeimager/{cluster}/";

    public static string AssumeRolePolicy() => Serialize(new JsonObject
    {
        ["Version"] = "2012-10-17",
        ["Statement"] = new JsonArray(new JsonObject
        {
            ["Effect"] = "Allow",
            ["Principal"] = new JsonObject { ["Service"] = "ec2.amazonaws.com" },
            ["Action"] = "sts:AssumeRole",
        }),
    });

    /// <summary>
    /// The inline policy of a node role. SecureString parameters use the AWS-managed key aws/ssm, whose key policy
    /// already lets any principal of the account use it through SSM (kms:ViaService), so no kms statement is needed;
    /// a customer-managed key would need kms:Encrypt/Decrypt here.
    /// </summary>
    public static string InlinePolicy(string cluster, NodeRole role, string partition = DefaultPartition)
    {
        var join = ParameterArn(partition, ClusterNaming.JoinParameter(cluster));
        var status = ParameterArn(partition, ClusterNaming.StatusPath(cluster) + "*");
        var statements = role switch
        {
            NodeRole.Master => new JsonArray(
                Statement("PublishJoinMaterial", ["ssm:PutParameter", "ssm:GetParameter"], join),
                Statement("ReportStatus", ["ssm:PutParameter"], status)),
            NodeRole.Worker => new JsonArray(
                Statement("ReadJoinMaterial", ["ssm:GetParameter"], join),
                Statement("ReportStatus", ["ssm:PutParameter"], status)),
            _ => throw new ArgumentOutOfRangeException(nameof(role), role, "Only master and worker nodes get an identity."),
        };
        return Serialize(new JsonObject { ["Version"] = "2012-10-17", ["Statement"] = statements });
    }

    // Region and account are wildcards: the parameter path is already unique per cluster and the tool does not know
    // the account before the first call.
    private static string ParameterArn(string partition, string parameterName) => $"arn:{partition}:ssm:*:*:parameter{parameterName}";

    private static JsonObject Statement(string sid, string[] actions, string resource) => new()
    {
        ["Sid"] = sid,
        ["Effect"] = "Allow",
        ["Action"] = new JsonArray(actions.Select(a => (JsonNode)JsonValue.Create(a)).ToArray()),
        ["Resource"] = resource,
    };

    private static string Serialize(JsonObject document) => document.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
}
