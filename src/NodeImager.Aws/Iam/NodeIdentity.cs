using System.Net;
using Amazon.Runtime;
using NodeImager.Core.Model;

namespace NodeImager.Aws.Iam;

/// <summary>What <see cref="NodeIdentity.EnsureAsync"/> set up for one node role.</summary>
public sealed record NodeIdentityProfile(NodeRole Role, string RoleArn, string InstanceProfileName, string InstanceProfileArn, bool Created);

/// <summary>A cluster's node identities: a role + instance profile per node role, scoped by <see cref="NodeIdentityPolicy"/>.</summary>
public sealed class NodeIdentity(IamQueryClient iam)
{
    /// <summary>
    /// Creates (or reuses) both roles, their inline policies and instance profiles. Existing ones are reused only when
    /// they carry this cluster's tag, so a name clash with something foreign fails instead of being adopted.
    /// The inline policy is always written again, so a changed policy reaches existing roles.
    /// </summary>
    public async Task<IReadOnlyList<NodeIdentityProfile>> EnsureAsync(string cluster, IReadOnlyDictionary<string, string> tags, CancellationToken ct)
    {
        var result = new List<NodeIdentityProfile>();
        foreach (var role in NodeIdentityPolicy.Roles)
        {
            var name = NodeIdentityPolicy.Name(cluster, role);
            var path = NodeIdentityPolicy.Path(cluster);
            var roleTags = new Dictionary<string, string>(tags, StringComparer.Ordinal)
            {
                [ClusterNaming.ClusterTag] = cluster,
                [ClusterNaming.RoleTag] = role.Name(),
            };

            var created = false;
            IamRole iamRole;
            try
            {
                iamRole = await iam.CreateRoleAsync(name, path, NodeIdentityPolicy.AssumeRolePolicy(), roleTags, ct);
                created = true;
            }
            catch (AmazonServiceException e) when (e.ErrorCode == "EntityAlreadyExists")
            {
                iamRole = await iam.GetRoleAsync(name, ct);
                RequireClusterTag(cluster, $"IAM role {name}", iamRole.Tags);
            }

            await iam.PutRolePolicyAsync(name, NodeIdentityPolicy.InlinePolicyName, NodeIdentityPolicy.InlinePolicy(cluster, role, Partition(iamRole.Arn)), ct);

            IamInstanceProfile profile;
            try
            {
                profile = await iam.CreateInstanceProfileAsync(name, path, roleTags, ct);
                created = true;
            }
            catch (AmazonServiceException e) when (e.ErrorCode == "EntityAlreadyExists")
            {
                profile = await iam.GetInstanceProfileAsync(name, ct);
                RequireClusterTag(cluster, $"IAM instance profile {name}", profile.Tags);
            }

            if (!profile.RoleNames.Contains(name))
            {
                if (profile.RoleNames.Count > 0)
                {
                    // A profile holds at most one role; a foreign one means the profile is not ours to fix.
                    throw new AmazonServiceException(
                        $"IAM instance profile {name} holds role {profile.RoleNames[0]}, not {name}.", ErrorType.Sender, "EntityAlreadyExists", null, HttpStatusCode.Conflict);
                }

                await iam.AddRoleToInstanceProfileAsync(name, name, ct);
            }

            result.Add(new NodeIdentityProfile(role, iamRole.Arn, profile.InstanceProfileName, profile.Arn, created));
        }

        return result;
    }

    /// <summary>
    /// Removes the cluster's node identities: roles out of profiles, profiles, inline policies, roles. Anything already
    /// gone is fine; a same-named role or profile without this cluster's tag is not ours and is left alone. Returns
    /// what it deleted, as "instance-profile/NAME", "role-policy/ROLE/POLICY" and "role/NAME".
    /// </summary>
    public async Task<IReadOnlyList<string>> DeleteAsync(string cluster, CancellationToken ct)
    {
        var deleted = new List<string>();
        foreach (var role in NodeIdentityPolicy.Roles)
        {
            var name = NodeIdentityPolicy.Name(cluster, role);
            var profile = await OrNullAsync(() => iam.GetInstanceProfileAsync(name, ct));
            if (profile is not null && IsTaggedFor(cluster, profile.Tags))
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

            var iamRole = await OrNullAsync(() => iam.GetRoleAsync(name, ct));
            if (iamRole is null || !IsTaggedFor(cluster, iamRole.Tags))
            {
                continue;
            }

            foreach (var policy in await OrNullAsync(() => iam.ListRolePoliciesAsync(name, ct)) ?? [])
            {
                if (await IgnoreMissingAsync(() => iam.DeleteRolePolicyAsync(name, policy, ct)))
                {
                    deleted.Add($"role-policy/{name}/{policy}");
                }
            }

            if (await IgnoreMissingAsync(() => iam.DeleteRoleAsync(name, ct)))
            {
                deleted.Add($"role/{name}");
            }
        }

        return deleted;
    }

    private static bool IsTaggedFor(string cluster, IReadOnlyDictionary<string, string> tags) =>
        tags.TryGetValue(ClusterNaming.ClusterTag, out var owner) && owner == cluster;

    private static void RequireClusterTag(string cluster, string what, IReadOnlyDictionary<string, string> tags)
    {
        if (!IsTaggedFor(cluster, tags))
        {
            throw new AmazonServiceException(
                $"{what} exists but is not tagged {ClusterNaming.ClusterTag}={cluster}; it is not this cluster's and is left alone.",
                ErrorType.Sender, "EntityAlreadyExists", null, HttpStatusCode.Conflict);
        }
    }

    // The partition (aws, aws-cn, aws-us-gov) is the second field of any ARN the account hands back.
    private static string Partition(string arn) => arn.Split(':') is { Length: > 2 } parts ? parts[1] : NodeIdentityPolicy.DefaultPartition;

    private static async Task<T?> OrNullAsync<T>(Func<Task<T>> call)
        where T : class
    {
        try
        {
            return await call();
        }
        catch (AmazonServiceException e) when (e.ErrorCode == "NoSuchEntity")
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
        catch (AmazonServiceException e) when (e.ErrorCode == "NoSuchEntity")
        {
            return false;
        }
    }
}
