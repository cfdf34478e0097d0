using NodeImager.Aws.Tests.Support;

namespace NodeImager.Aws.Tests;

[Collection(EmulatorCollection.Name)]
public sealed class EmulatorSmokeTests(Emulator emulator)
{
    [Fact]
    public async Task The_real_aws_cli_reaches_the_emulator_and_the_recording_names_the_action()
    {
        await emulator.StartRecordingAsync();
        using var vpcs = await emulator.AwsCliAsync("ec2", "describe-vpcs");
        var recorded = await emulator.StopRecordingAsync();

        Assert.Contains(vpcs.RootElement.GetProperty("Vpcs").EnumerateArray(), v => v.GetProperty("IsDefault").GetBoolean());
        Assert.Contains(recorded, r => r.Action == "DescribeVpcs" && r.Service == "ec2");
    }
}
