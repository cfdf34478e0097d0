using System.Text.Json;
using Amazon.Runtime;
using NodeImager.Aws.Iam;
using NodeImager.Core.Model;

namespace NodeImager.Aws.Tests.Iam;

[Collection(SignedEmulatorCollection.Name)]
public sealed class NodeIdentityTests(SignedEmulator emulator)
{
    private static readonly Dictionary<string, string> Owner = new() { ["owner"] = "team-a" };

    [Fact]
    public async Task Ensure_creates_both_identities_reuses_them_and_Delete_leaves_nothing_behind()
    {
        var admin = await emulator.AdminAsync();
        using var iam = new IamQueryClient(admin, emulator.Endpoint);
        var identity = new NodeIdentity(iam);

        var first = await identity.EnsureAsync("rt", Owner, CancellationToken.None);
        var again = await identity.EnsureAsync("rt", Owner, CancellationToken.None);

        Assert.Equal([NodeRole.Master, NodeRole.Worker], first.Select(p => p.Role));
        Assert.All(first, p => Assert.True(p.Created));
        Assert.All(again, p => Assert.False(p.Created));
        Assert.Equal(first.Select(p => (p.RoleArn, p.InstanceProfileArn)), again.Select(p => (p.RoleArn, p.InstanceProfileArn)));
        foreach (var role in NodeIdentityPolicy.Roles)
        {
            var name = NodeIdentityPolicy.Name("rt", role);
            var iamRole = await iam.GetRoleAsync(name, CancellationToken.None);
            var profile = await iam.GetInstanceProfileAsync(name, CancellationToken.None);
            Assert.Equal(("rt", role.Name(), "team-a"), (iamRole.Tags["nodeimager:cluster"], iamRole.Tags["nodeimager:role"], iamRole.Tags["owner"]));
            Assert.Equal([name], profile.RoleNames);
            Assert.Equal("/nodeimager/rt/", profile.Path);
            // The real CLI reads back exactly the document NodeIdentityPolicy wrote.
            using var policy = await emulator.CliJsonAsync(admin.GetCredentials(), "iam", "get-role-policy", "--role-name", name, "--policy-name", NodeIdentityPolicy.InlinePolicyName);
            Assert.Equal(
                JsonSerializer.Serialize(JsonDocument.Parse(NodeIdentityPolicy.InlinePolicy("rt", role)).RootElement),
                JsonSerializer.Serialize(policy.RootElement.GetProperty("PolicyDocument")));
        }

        var deleted = await identity.DeleteAsync("rt", CancellationToken.None);
        var deletedAgain = await identity.DeleteAsync("rt", CancellationToken.None);

        Assert.Equal(
            [
                "instance-profile/nodeimager-rt-master", "role-policy/nodeimager-rt-master/nodeimager-parameters", "role/nodeimager-rt-master",
                "instance-profile/nodeimager-rt-worker", "role-policy/nodeimager-rt-worker/nodeimager-parameters", "role/nodeimager-rt-worker",
            ],
            deleted);
        Assert.Empty(deletedAgain);
        using var roles = await emulator.CliJsonAsync(admin.GetCredentials(), "iam", "list-roles", "--path-prefix", "/nodeimager/rt/");
        using var profiles = await emulator.CliJsonAsync(admin.GetCredentials(), "iam", "list-instance-profiles", "--path-prefix", "/nodeimager/rt/");
        Assert.Empty(roles.RootElement.GetProperty("Roles").EnumerateArray());
        Assert.Empty(profiles.RootElement.GetProperty("InstanceProfiles").EnumerateArray());
    }

    [Fact]
    public async Task Ensure_refuses_a_same_named_role_that_is_not_tagged_for_the_cluster()
    {
        var admin = await emulator.AdminAsync();
        using var iam = new IamQueryClient(admin, emulator.Endpoint);
        await iam.CreateRoleAsync("nodeimager-foreign-master", "/", NodeIdentityPolicy.AssumeRolePolicy(), new Dictionary<string, string>(), CancellationToken.None);

        var error = await Assert.ThrowsAsync<AmazonServiceException>(() => new NodeIdentity(iam).EnsureAsync("foreign", Owner, CancellationToken.None));

        Assert.Contains("not tagged nodeimager:cluster=foreign", error.Message, StringComparison.Ordinal);
        Assert.Empty(await iam.ListRolePoliciesAsync("nodeimager-foreign-master", CancellationToken.None));
    }

    [Fact]
    public async Task Delete_leaves_same_named_identities_without_the_cluster_tag_alone()
    {
        var admin = await emulator.AdminAsync();
        using var iam = new IamQueryClient(admin, emulator.Endpoint);
        var none = new Dictionary<string, string>();
        var other = new Dictionary<string, string> { ["nodeimager:cluster"] = "someone-else" };
        await iam.CreateRoleAsync("nodeimager-alien-master", "/", NodeIdentityPolicy.AssumeRolePolicy(), none, CancellationToken.None);
        await iam.PutRolePolicyAsync("nodeimager-alien-master", "theirs", NodeIdentityPolicy.InlinePolicy("alien", NodeRole.Master), CancellationToken.None);
        await iam.CreateInstanceProfileAsync("nodeimager-alien-worker", "/", other, CancellationToken.None);

        var deleted = await new NodeIdentity(iam).DeleteAsync("alien", CancellationToken.None);

        Assert.Empty(deleted);
        Assert.Equal(["theirs"], await iam.ListRolePoliciesAsync("nodeimager-alien-master", CancellationToken.None));
        Assert.Equal("nodeimager-alien-worker", (await iam.GetInstanceProfileAsync("nodeimager-alien-worker", CancellationToken.None)).InstanceProfileName);
    }

    [Fact]
    public async Task Delete_of_a_cluster_that_never_had_identities_is_a_no_op()
    {
        var admin = await emulator.AdminAsync();
        using var iam = new IamQueryClient(admin, emulator.Endpoint);

        Assert.Empty(await new NodeIdentity(iam).DeleteAsync("never", CancellationToken.None));
    }

    /// <summary>
    /// moto evaluates IAM policies by action only: it authorises every SSM call against the resource "*", so a
    /// statement scoped to an ARN never matches and the real documents deny everything there (see
    /// verification-tools.md). The resource scoping is proven on the documents themselves (NodeIdentityPolicyTests).
    /// What moto can show is each statement's action list: a role gets one real statement at a time with only its
    /// resource widened to "*", so the worker's put on the join path is denied because its join statement allows
    /// reading only (on AWS the status statement's resource also keeps PutParameter off the join path).
    /// </summary>
    [Fact]
    public async Task Through_moto_the_worker_join_statement_reads_but_cannot_publish_and_the_master_one_publishes()
    {
        var admin = await emulator.AdminAsync();
        var adminKey = admin.GetCredentials();
        using var iam = new IamQueryClient(admin, emulator.Endpoint);
        var profiles = await new NodeIdentity(iam).EnsureAsync("split", Owner, CancellationToken.None);
        await UseOnlyStatementAsync(iam, "split", NodeRole.Worker, "ReadJoinMaterial");
        await UseOnlyStatementAsync(iam, "split", NodeRole.Master, "PublishJoinMaterial");
        (await emulator.CliJsonAsync(adminKey, "ssm", "put-parameter", "--name", "/nodeimager/split/join", "--type", "SecureString", "--value", "{}")).Dispose();
        var worker = await AssumeAsync(adminKey, profiles.Single(p => p.Role == NodeRole.Worker).RoleArn);
        var master = await AssumeAsync(adminKey, profiles.Single(p => p.Role == NodeRole.Master).RoleArn);

        var workerReads = await emulator.CliAsync(worker, "ssm", "get-parameter", "--name", "/nodeimager/split/join", "--with-decryption");
        var workerPublishes = await emulator.CliAsync(worker, "ssm", "put-parameter", "--name", "/nodeimager/split/join", "--type", "SecureString", "--value", "{}", "--overwrite");
        var workerDeletes = await emulator.CliAsync(worker, "ssm", "delete-parameter", "--name", "/nodeimager/split/join");
        var masterPublishes = await emulator.CliAsync(master, "ssm", "put-parameter", "--name", "/nodeimager/split/join", "--type", "SecureString", "--value", "{}", "--overwrite");
        var masterReads = await emulator.CliAsync(master, "ssm", "get-parameter", "--name", "/nodeimager/split/join", "--with-decryption");

        Assert.True(workerReads.Code == 0, workerReads.Output);
        Assert.Contains("not authorized to perform: ssm:PutParameter", workerPublishes.Output, StringComparison.Ordinal);
        Assert.Contains("not authorized to perform: ssm:DeleteParameter", workerDeletes.Output, StringComparison.Ordinal);
        Assert.True(masterPublishes.Code == 0, masterPublishes.Output);
        Assert.True(masterReads.Code == 0, masterReads.Output);

        // The status statement lets a node report but not read (another node's status or the join material).
        await UseOnlyStatementAsync(iam, "split", NodeRole.Worker, "ReportStatus");
        var workerReports = await emulator.CliAsync(worker, "ssm", "put-parameter", "--name", "/nodeimager/split/status/i-1", "--type", "String", "--value", "{}");
        var workerReadsNow = await emulator.CliAsync(worker, "ssm", "get-parameter", "--name", "/nodeimager/split/join", "--with-decryption");

        Assert.True(workerReports.Code == 0, workerReports.Output);
        Assert.Contains("not authorized to perform: ssm:GetParameter", workerReadsNow.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Temporary_credentials_are_sent_with_their_signed_session_token()
    {
        var admin = await emulator.AdminAsync();
        using var iam = new IamQueryClient(admin, emulator.Endpoint);
        var profiles = await new NodeIdentity(iam).EnsureAsync("token", Owner, CancellationToken.None);
        var worker = await AssumeAsync(admin.GetCredentials(), profiles.Single(p => p.Role == NodeRole.Worker).RoleArn);
        using var asWorker = new IamQueryClient(new SessionAWSCredentials(worker.AccessKey, worker.SecretKey, worker.Token), emulator.Endpoint);

        await emulator.Server.StartRecordingAsync();
        var error = await Assert.ThrowsAsync<AmazonServiceException>(() => asWorker.GetRoleAsync("nodeimager-token-worker", CancellationToken.None));
        var sent = Assert.Single(await emulator.Server.StopRecordingAsync(), r => r.Action == "GetRole");

        // Authenticated (the signature and key were accepted) but the worker has no IAM rights.
        Assert.Equal("AccessDenied", error.ErrorCode);
        Assert.Equal(worker.Token, sent.Headers["X-Amz-Security-Token"]);
        Assert.Contains("x-amz-security-token", sent.Headers["Authorization"], StringComparison.Ordinal);
    }

    private async Task<ImmutableCredentials> AssumeAsync(ImmutableCredentials admin, string roleArn)
    {
        using var assumed = await emulator.CliJsonAsync(admin, "sts", "assume-role", "--role-arn", roleArn, "--role-session-name", "node");
        var c = assumed.RootElement.GetProperty("Credentials");
        return new ImmutableCredentials(c.GetProperty("AccessKeyId").GetString(), c.GetProperty("SecretAccessKey").GetString(), c.GetProperty("SessionToken").GetString());
    }

    /// <summary>Replaces the role's inline policy by one of its real statements, resource widened to "*" for moto.</summary>
    private static Task UseOnlyStatementAsync(IamQueryClient iam, string cluster, NodeRole role, string sid)
    {
        var doc = System.Text.Json.Nodes.JsonNode.Parse(NodeIdentityPolicy.InlinePolicy(cluster, role))!;
        var statement = doc["Statement"]!.AsArray().Single(s => (string?)s!["Sid"] == sid)!.DeepClone();
        statement["Resource"] = "*";
        doc["Statement"] = new System.Text.Json.Nodes.JsonArray(statement);
        return iam.PutRolePolicyAsync(NodeIdentityPolicy.Name(cluster, role), NodeIdentityPolicy.InlinePolicyName, doc.ToJsonString(), CancellationToken.None);
    }
}
