using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using NodeImager.Core.Images;
using NodeImager.Core.Model;

namespace NodeImager.Aws.Iam;

/// <summary>
/// The temporary identity of one golden-image builder: a role + instance profile whose only permission is writing the
/// builder's own status parameters (/nodeimager/BAKE/status/*). The builder downloads packages and images, which needs
/// no AWS permission; nothing else is granted, so a compromised build cannot touch clusters or other bakes.
/// </summary>
public sealed class BuilderIdentity(IamQueryClient iam)
{
    public const string InlinePolicyName = "nodeimager-builder-status";

    /// <summary>Outside every cluster's path (/nodeimager/CLUSTER/), so cluster teardown never mistakes it for a node role.</summary>
    public const string IamPath = "/nodeimager/builders/";

    /// <summary>Role and profile name: nodeimager-BAKE, shortened with a hash to IAM's 64 characters.</summary>
    public static string Name(string bake)
    {
        var name = $"nodeimager-{bake}";
        if (name.Length <= 64)
        {
            return name;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(bake)))[..8];
        return $"{name[..55]}-{hash}";
    }

    public static string InlinePolicy(string bake, string partition = NodeIdentityPolicy.DefaultPartition) =>
        new JsonObject
        {
            ["Version"] = "2012-10-17",
            ["Statement"] = new JsonArray(new JsonObject
            {
                ["Sid"] = "ReportBuildStatus",
                ["Effect"] = "Allow",
                ["Action"] = new JsonArray("ssm:PutParameter"),
                ["Resource"] = $"arn:{partition}:ssm:*:*:parameter{ClusterNaming.StatusPath(bake)}*",
            }),
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = false });

    /// <summary>Creates role, policy and profile; returns the instance profile name. A same-named leftover is an error.</summary>
    public async Task<string> CreateAsync(string bake, IReadOnlyDictionary<string, string> tags, CancellationToken ct)
    {
        var name = Name(bake);
        var role = await iam.CreateRoleAsync(name, IamPath, NodeIdentityPolicy.AssumeRolePolicy(), tags, ct);
        var partition = role.Arn.Split(':') is { Length: > 2 } parts ? parts[1] : NodeIdentityPolicy.DefaultPartition;
        await iam.PutRolePolicyAsync(name, InlinePolicyName, InlinePolicy(bake, partition), ct);
        await iam.CreateInstanceProfileAsync(name, IamPath, tags, ct);
        await iam.AddRoleToInstanceProfileAsync(name, name, ct);
        return name;
    }

    /// <summary>Every builder role under <see cref="IamPath"/> that is tagged with its bake, with its creation time
    /// (reap removes the ones a crashed bake left). Roles without the tag are not NodeImager's and are not listed.</summary>
    public async Task<IReadOnlyList<BuilderIdentityInfo>> ListAsync(CancellationToken ct)
    {
        var found = new List<BuilderIdentityInfo>();
        foreach (var listed in await iam.ListRolesAsync(IamPath, ct))
        {
            // ListRoles answers carry no tags: the bake is read from each role itself.
            var role = await OrNullAsync(() => iam.GetRoleAsync(listed.RoleName, ct));
            if (role is not null && role.Tags.TryGetValue(ClusterNaming.ClusterTag, out var bake) && Name(bake) == role.RoleName)
            {
                found.Add(new BuilderIdentityInfo(role.RoleName, bake, listed.CreateDate ?? role.CreateDate));
            }
        }

        return found;
    }

    /// <summary>Removes profile, policy and role of one bake; anything already gone is fine, and a same-named role or
    /// profile not tagged for this bake is left alone. Returns what it deleted.</summary>
    public async Task<IReadOnlyList<string>> DeleteAsync(string bake, CancellationToken ct)
    {
        var name = Name(bake);
        var deleted = new List<string>();
        var profile = await OrNullAsync(() => iam.GetInstanceProfileAsync(name, ct));
        if (profile is not null && IsTaggedFor(bake, profile.Tags))
        {
            foreach (var member in profile.RoleNames)
            {
                await IgnoreMissingAsync(() => iam.RemoveRoleFromInstanceProfileAsync(name, member, ct));
            }

            if (await IgnoreMissingAsync(() => iam.DeleteInstanceProfileAsync(name, ct)))
            {
                deleted.Add($"instance-profile/{name}");
            }
        }

        var role = await OrNullAsync(() => iam.GetRoleAsync(name, ct));
        if (role is not null && IsTaggedFor(bake, role.Tags))
        {
            foreach (var policy in await OrNullAsync(() => iam.ListRolePoliciesAsync(name, ct)) ?? [])
            {
                await IgnoreMissingAsync(() => iam.DeleteRolePolicyAsync(name, policy, ct));
            }

            if (await IgnoreMissingAsync(() => iam.DeleteRoleAsync(name, ct)))
            {
                deleted.Add($"role/{name}");
            }
        }

        return deleted;
    }

    private static bool IsTaggedFor(string bake, IReadOnlyDictionary<string, string> tags) =>
        tags.TryGetValue(ClusterNaming.ClusterTag, out var owner) && owner == bake;

    private static async Task<T?> OrNullAsync<T>(Func<Task<T>> call)
        where T : class
    {
        try
        {
            return await call();
        }
        catch (AmazonServiceException e) when (e.ErrorCode == "NoSuchEntity" || e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static async Task<bool> IgnoreMissingAsync(Func<Task> call)
    {
        try
        {
            await call();
            return true;
        }
        catch (AmazonServiceException e) when (e.ErrorCode == "NoSuchEntity" || e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }
}
