using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using NodeImager.Aws.Iam;
using NodeImager.Aws.Tests.Support;
using NodeImager.Core.Model;

namespace NodeImager.SelfAssembly.Tests.Support;

/// <summary>
/// Puts a cluster's instances into the emulator the way `up` would, for the simulator to boot: the cluster's node
/// identities (NodeIdentity: a role with its inline policy and an instance profile per node role), then one
/// RunInstances per node (moto attaches the profile only to the first instance of a multi-count launch) with the
/// cluster and role tags and the given user-data.
/// </summary>
public static class EmulatedLaunch
{
    public static IamQueryClient Iam(Emulator emulator) =>
        new(new BasicAWSCredentials(Emulator.AccessKey, Emulator.SecretKey), new Uri(emulator.Endpoint));

    public static async Task EnsureIdentityAsync(Emulator emulator, string cluster)
    {
        using var iam = Iam(emulator);
        await new NodeIdentity(iam).EnsureAsync(cluster, new Dictionary<string, string>(), CancellationToken.None);
    }

    /// <summary>One RunInstances per node; roleTag overrides the nodeimager:role tag (a golden-image "builder", which
    /// runs with the worker's identity here).</summary>
    public static async Task<IReadOnlyList<string>> RunAsync(Emulator emulator, string cluster, NodeRole role, int count, byte[] userData, string? roleTag = null)
    {
        await EnsureIdentityAsync(emulator, cluster);
        using var ec2 = new AmazonEC2Client(new BasicAWSCredentials(Emulator.AccessKey, Emulator.SecretKey), new AmazonEC2Config { ServiceURL = emulator.Endpoint, AuthenticationRegion = Emulator.Region });
        var images = await ec2.DescribeImagesAsync(new DescribeImagesRequest());
        var image = images.Images[0].ImageId;
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var response = await ec2.RunInstancesAsync(new RunInstancesRequest
            {
                ImageId = image,
                InstanceType = InstanceType.T3Medium,
                MinCount = 1,
                MaxCount = 1,
                UserData = Convert.ToBase64String(userData),
                IamInstanceProfile = new IamInstanceProfileSpecification { Name = NodeIdentityPolicy.Name(cluster, role) },
                MetadataOptions = new InstanceMetadataOptionsRequest { HttpTokens = HttpTokensState.Required },
                TagSpecifications =
                [
                    new TagSpecification
                    {
                        ResourceType = ResourceType.Instance,
                        Tags = [new Tag(ClusterNaming.ClusterTag, cluster), new Tag(ClusterNaming.RoleTag, roleTag ?? role.Name())],
                    },
                ],
            });
            ids.Add(response.Reservation.Instances[0].InstanceId);
        }

        return ids;
    }
}
