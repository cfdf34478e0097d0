using System.Text.Json;
using NodeImager.Aws.Iam;
using NodeImager.Core.Model;

namespace NodeImager.Aws.Tests.Iam;

public sealed class NodeIdentityPolicyTests
{
    private const string Join = "arn:aws:ssm:*:*:parameter/nodeimager/a/join";
    private const string Status = "arn:aws:ssm:*:*:parameter/nodeimager/a/status/*";

    [Fact]
    public void The_master_may_publish_and_read_the_join_material_and_report_status_and_nothing_else()
    {
        var grants = Grants(NodeIdentityPolicy.InlinePolicy("a", NodeRole.Master));

        Assert.Equal(
            [("ssm:GetParameter", Join), ("ssm:PutParameter", Join), ("ssm:PutParameter", Status)],
            grants);
    }

    [Fact]
    public void A_worker_may_read_the_join_material_and_report_status_and_nothing_else()
    {
        var grants = Grants(NodeIdentityPolicy.InlinePolicy("a", NodeRole.Worker));

        Assert.Equal([("ssm:GetParameter", Join), ("ssm:PutParameter", Status)], grants);
    }

    [Theory]
    [InlineData(NodeRole.Master)]
    [InlineData(NodeRole.Worker)]
    public void No_statement_is_a_wildcard_resource_a_deny_or_a_condition(NodeRole role)
    {
        using var doc = JsonDocument.Parse(NodeIdentityPolicy.InlinePolicy("a", role));

        Assert.Equal("2012-10-17", doc.RootElement.GetProperty("Version").GetString());
        foreach (var statement in doc.RootElement.GetProperty("Statement").EnumerateArray())
        {
            Assert.Equal("Allow", statement.GetProperty("Effect").GetString());
            Assert.DoesNotContain("*", Strings(statement.GetProperty("Resource")));
            Assert.DoesNotContain(Strings(statement.GetProperty("Action")), a => a.Contains('*', StringComparison.Ordinal));
            Assert.Equal(["Action", "Effect", "Resource", "Sid"], statement.EnumerateObject().Select(p => p.Name).Order());
        }
    }

    [Fact]
    public void Another_cluster_gets_only_its_own_parameter_path()
    {
        var a = Grants(NodeIdentityPolicy.InlinePolicy("a", NodeRole.Worker)).Select(g => g.Resource);
        var b = Grants(NodeIdentityPolicy.InlinePolicy("b", NodeRole.Worker)).Select(g => g.Resource).ToList();

        Assert.Equal(["arn:aws:ssm:*:*:parameter/nodeimager/b/join", "arn:aws:ssm:*:*:parameter/nodeimager/b/status/*"], b);
        Assert.Empty(a.Intersect(b));
    }

    [Fact]
    public void The_partition_comes_from_the_caller()
    {
        var grants = Grants(NodeIdentityPolicy.InlinePolicy("a", NodeRole.Worker, "aws-cn"));

        Assert.All(grants, g => Assert.StartsWith("arn:aws-cn:ssm:", g.Resource, StringComparison.Ordinal));
    }

    [Fact]
    public void Only_EC2_may_assume_the_node_roles()
    {
        using var doc = JsonDocument.Parse(NodeIdentityPolicy.AssumeRolePolicy());
        var statement = Assert.Single(doc.RootElement.GetProperty("Statement").EnumerateArray());

        Assert.Equal("Allow", statement.GetProperty("Effect").GetString());
        Assert.Equal("sts:AssumeRole", statement.GetProperty("Action").GetString());
        Assert.Equal("ec2.amazonaws.com", statement.GetProperty("Principal").GetProperty("Service").GetString());
        Assert.Single(statement.GetProperty("Principal").EnumerateObject());
    }

    [Fact]
    public void Names_and_path_follow_the_cluster()
    {
        Assert.Equal("nodeimager-a-master", NodeIdentityPolicy.Name("a", NodeRole.Master));
        Assert.Equal("nodeimager-a-worker", NodeIdentityPolicy.Name("a", NodeRole.Worker));
        Assert.Equal("/nodeimager/a/", NodeIdentityPolicy.Path("a"));
    }

    /// <summary>Every (action, resource) pair the document allows, sorted.</summary>
    private static List<(string Action, string Resource)> Grants(string policy)
    {
        using var doc = JsonDocument.Parse(policy);
        return doc.RootElement.GetProperty("Statement").EnumerateArray()
            .SelectMany(s => Strings(s.GetProperty("Action")).SelectMany(a => Strings(s.GetProperty("Resource")).Select(r => (a, r))))
            .Order()
            .ToList();
    }

    private static IEnumerable<string> Strings(JsonElement e) =>
        e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().Select(x => x.GetString()!).ToList() : [e.GetString()!];
}
