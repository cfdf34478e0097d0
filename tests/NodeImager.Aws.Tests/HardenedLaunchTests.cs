using Amazon.EC2;

namespace NodeImager.Aws.Tests;

/// <summary>What the emulator recordings of up and bake do not show: the root volume goes with the instance, every
/// launch has a token of its own, and a Name tag the operator gave is kept.</summary>
public sealed class HardenedLaunchTests
{
    private static HardenedLaunch Launch(IReadOnlyDictionary<string, string>? tags = null) => new()
    {
        ImageId = "ami-0123456789abcdef0",
        InstanceType = "t3.medium",
        Count = 3,
        SubnetId = "subnet-1",
        SecurityGroupId = "sg-1",
        UserData = [1, 2, 3],
        RootDeviceName = "/dev/sda1",
        RootVolumeGiB = 40,
        Tags = tags ?? new Dictionary<string, string> { ["nodeimager:cluster"] = "demo" },
        Name = "nodeimager-demo-worker",
        ShutdownBehavior = ShutdownBehavior.Terminate,
    };

    [Fact]
    public void The_root_volume_is_the_images_root_device_sized_as_asked_and_deleted_with_the_instance()
    {
        var request = Launch().ToRequest();

        var root = Assert.Single(request.BlockDeviceMappings);
        Assert.Equal("/dev/sda1", root.DeviceName);
        Assert.Equal(40, root.Ebs.VolumeSize);
        Assert.True(root.Ebs.DeleteOnTermination);
        Assert.Equal(["sg-1"], request.SecurityGroupIds);
        Assert.Equal("subnet-1", request.SubnetId);
    }

    [Fact]
    public void Each_request_has_a_client_token_of_its_own_so_masters_and_workers_are_not_one_launch()
    {
        var launch = Launch();

        var first = launch.ToRequest().ClientToken;
        var second = launch.ToRequest().ClientToken;

        Assert.Matches("^[0-9a-f]{32}$", first);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void The_instance_is_named_unless_the_operator_tagged_a_Name_and_the_volume_gets_no_name()
    {
        var named = Launch().ToRequest();
        var instanceTags = named.TagSpecifications.Single(t => t.ResourceType == ResourceType.Instance).Tags;
        Assert.Equal("nodeimager-demo-worker", Assert.Single(instanceTags, t => t.Key == "Name").Value);
        Assert.DoesNotContain(named.TagSpecifications.Single(t => t.ResourceType == ResourceType.Volume).Tags, t => t.Key == "Name");

        var own = Launch(new Dictionary<string, string> { ["nodeimager:cluster"] = "demo", ["Name"] = "mine" }).ToRequest();
        Assert.Equal("mine", Assert.Single(own.TagSpecifications.Single(t => t.ResourceType == ResourceType.Instance).Tags, t => t.Key == "Name").Value);
    }
}
