using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using NodeImager.Aws.Tests.Support;
using NodeImager.Core.Model;

namespace NodeImager.SelfAssembly.Tests.Support;

/// <summary>
/// Puts a cluster's instances into the emulator the way `up` would, for the simulator to boot: a role and instance
/// profile per node role (created with the real aws CLI; the IAM edge is not the subject here), then one RunInstances
/// per node (moto attaches the profile only to the first instance of a multi-count launch) with the cluster and role
/// tags and the given user-data.
/// </summary>
public static class EmulatedLaunch
{
    private const string TrustPolicy = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}""";

    public static async Task EnsureIdentityAsync(Emulator emulator, string cluster, NodeRole role)
    {
        var name = ProfileName(cluster, role);
        var (exists, _) = await emulator.AwsCliRawAsync("iam", "get-instance-profile", "--instance-profile-name", name);
        if (exists == 0)
        {
            return;
        }

        var path = $"/nodeimager/{cluster}/";
        (await emulator.AwsCliAsync("iam", "create-role", "--role-name", name, "--path", path, "--assume-role-policy-document", TrustPolicy)).Dispose();
        (await emulator.AwsCliAsync("iam", "create-instance-profile", "--instance-profile-name", name, "--path", path)).Dispose();
        (await emulator.AwsCliAsync("iam", "add-role-to-instance-profile", "--instance-profile-name", name, "--role-name", name)).Dispose();
    }

    public static string ProfileName(string cluster, NodeRole role) => $"nodeimager-{cluster}-{role.Name()}";

    public static async Task<IReadOnlyList<string>> RunAsync(Emulator emulator, string cluster, NodeRole role, int count, byte[] userData)
    {
        await EnsureIdentityAsync(emulator, cluster, role);
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
                IamInstanceProfile = new IamInstanceProfileSpecification { Name = ProfileName(cluster, role) },
                MetadataOptions = new InstanceMetadataOptionsRequest { HttpTokens = HttpTokensState.Required },
                TagSpecifications =
                [
                    new TagSpecification
                    {
                        ResourceType = ResourceType.Instance,
                        Tags = [new Tag(ClusterNaming.ClusterTag, cluster), new Tag(ClusterNaming.RoleTag, role.Name())],
                    },
                ],
            });
            ids.Add(response.Reservation.Instances[0].InstanceId);
        }

        return ids;
    }
}
