using NodeImager.Core.Images;
using NodeImager.Core.Orchestration;
using NodeImager.Core.Tests.Rendering;

namespace NodeImager.Core.Tests.Images;

/// <summary>ImageBaker's order and cleanup against a hand-written cloud (the emulator tests cover the AWS side).</summary>
public sealed class ImageBakerTests
{
    private static GoldenImageRecipe Recipe { get; } =
        RecipeCatalog.Read(Path.Combine(RenderingFixtures.RepositoryRoot, "images", "ubuntu-24.04-k8s-1.37.yaml"), [])!;

    private static BakeRequest Request(string? ami = "ami-0123456789abcdef0") => new()
    {
        Recipe = Recipe,
        Templates = RenderingFixtures.Catalog,
        SourceAmi = ami,
        Id = "0123abcd",
        PollInterval = TimeSpan.FromMilliseconds(1),
    };

    [Fact]
    public async Task Success_images_only_after_done_and_stopped_then_terminates_before_deleting_group_identity_and_parameters()
    {
        var cloud = new FakeImageCloud();
        cloud.OnPoll = poll => poll switch
        {
            1 => ("running", "installing"),
            2 => ("running", "done"),
            _ => ("stopped", "done"),
        };
        var result = await new ImageBaker(cloud, TimeProvider.System).BakeAsync(Request(), _ => { }, _ => { }, CancellationToken.None);

        Assert.Equal("ami-baked", result.ImageId);
        Assert.Equal($"nodeimager/{Recipe.Name}/1.37.2/", result.ImageName[..^"20261125T000000Z".Length]);
        Assert.Equal(["ami-baked", "snap-1"], cloud.Tagged);
        Assert.Equal(Recipe.Hash, result.Tags[ImageTags.RecipeHash]);
        Assert.Equal("ami-0123456789abcdef0", result.Tags[ImageTags.SourceAmi]);
        var order = cloud.Calls.Where(c => c is "create-image" or "terminate" or "delete-group" or "delete-identity" or "delete-parameters").ToList();
        Assert.Equal(["create-image", "terminate", "delete-group", "delete-identity", "delete-parameters"], order);
        Assert.True(cloud.GroupDeleteAttempts >= 2, "a DependencyViolation is retried until the terminated builder lets go");
    }

    [Fact]
    public async Task A_failed_launch_still_removes_the_group_identity_and_parameters()
    {
        var cloud = new FakeImageCloud { FailLaunch = true };
        await Assert.ThrowsAsync<NodeImagerException>(() => new ImageBaker(cloud, TimeProvider.System).BakeAsync(Request(), _ => { }, _ => { }, CancellationToken.None));
        Assert.Contains("delete-group", cloud.Calls);
        Assert.Contains("delete-identity", cloud.Calls);
        Assert.DoesNotContain("create-image", cloud.Calls);
    }

    [Fact]
    public async Task Cancellation_while_waiting_cleans_up_with_an_uncancelled_token()
    {
        using var cancel = new CancellationTokenSource();
        var cloud = new FakeImageCloud();
        cloud.OnPoll = poll =>
        {
            if (poll == 2)
            {
                cancel.Cancel();
            }

            return ("running", "installing");
        };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new ImageBaker(cloud, TimeProvider.System).BakeAsync(Request(), _ => { }, _ => { }, cancel.Token));
        Assert.Equal(["terminate", "delete-group", "delete-identity", "delete-parameters"], cloud.Calls.Where(c => c.StartsWith("terminate", StringComparison.Ordinal) || c.StartsWith("delete", StringComparison.Ordinal)));
        Assert.False(cloud.CleanupSawCancelledToken);
    }

    [Fact]
    public async Task A_reported_failure_ends_the_bake_at_once_with_step_and_log_tail()
    {
        var cloud = new FakeImageCloud { OnPoll = _ => ("running", "failed") };
        var error = await Assert.ThrowsAsync<BakeFailedException>(() => new ImageBaker(cloud, TimeProvider.System).BakeAsync(Request(), _ => { }, _ => { }, CancellationToken.None));
        Assert.Equal("install-kubernetes", error.Step);
        Assert.Equal("E: broken", error.LogTail);
        Assert.Equal(1, cloud.Polls);
        Assert.Contains("terminate", cloud.Calls);
    }

    [Fact]
    public async Task A_stock_base_uses_the_stock_image_lookup_for_the_recipes_ubuntu_release()
    {
        var cloud = new FakeImageCloud { OnPoll = _ => ("stopped", "done") };
        var result = await new ImageBaker(cloud, TimeProvider.System).BakeAsync(Request(ami: null), _ => { }, _ => { }, CancellationToken.None);
        Assert.Contains("stock:24.04", cloud.Calls);
        Assert.Equal("ami-stock", result.Tags[ImageTags.SourceAmi]);
    }

    private sealed class FakeImageCloud : IImageCloud
    {
        private readonly HashSet<string> instances = [];
        private readonly HashSet<string> groups = [];

        public List<string> Calls { get; } = [];

        public List<string> Tagged { get; } = [];

        public Func<int, (string State, string Phase)> OnPoll { get; set; } = _ => ("stopped", "done");

        public bool FailLaunch { get; init; }

        public int Polls { get; private set; }

        public int GroupDeleteAttempts { get; private set; }

        public bool CleanupSawCancelledToken { get; private set; }

        public string Region => "eu-west-1";

        public Task<string> GetCallerArnAsync(CancellationToken cancellationToken) => Task.FromResult("arn:aws:iam::123456789012:user/test");

        public Task<CloudNetwork> DiscoverNetworkAsync(string? subnetId, CancellationToken cancellationToken) =>
            Task.FromResult(new CloudNetwork("vpc-1", [], "subnet-1", true));

        public Task<CloudImage> FindStockImageAsync(string ubuntuRelease, CancellationToken cancellationToken)
        {
            Calls.Add("stock:" + ubuntuRelease);
            return Task.FromResult(new CloudImage("ami-stock", "ubuntu", "stock"));
        }

        public Task<CloudImage> DescribeImageAsync(string imageId, CancellationToken cancellationToken) => Task.FromResult(new CloudImage(imageId, "given", "--ami"));

        public Task<string> CreateBuilderGroupAsync(string vpcId, string name, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken)
        {
            Calls.Add("create-group");
            groups.Add("sg-1");
            return Task.FromResult("sg-1");
        }

        public Task<string> CreateBuilderIdentityAsync(string bake, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken)
        {
            Calls.Add("create-identity");
            return Task.FromResult("profile");
        }

        public Task<string> LaunchBuilderAsync(BuilderLaunch launch, CancellationToken cancellationToken)
        {
            Calls.Add("launch");
            if (FailLaunch)
            {
                throw new NodeImagerException("AWS refused launching the builder: InsufficientInstanceCapacity");
            }

            instances.Add("i-1");
            return Task.FromResult("i-1");
        }

        public Task<string?> GetInstanceStateAsync(string instanceId, CancellationToken cancellationToken) =>
            Task.FromResult<string?>(instances.Contains(instanceId) ? OnPoll(Polls + 1).State : "terminated");

        public Task<BuilderStatus?> ReadBuilderStatusAsync(string parameterName, CancellationToken cancellationToken)
        {
            Polls++;
            var phase = OnPoll(Polls).Phase;
            var json = $"{{\"instanceId\":\"i-1\",\"role\":\"builder\",\"phase\":\"{phase}\",\"step\":\"install-kubernetes\",\"kubernetesVersion\":\"1.37.2\",\"logTail\":\"E: broken\"}}";
            return Task.FromResult(BuilderStatus.Parse(json));
        }

        public Task<string> CreateImageAsync(string instanceId, string name, string description, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken)
        {
            Calls.Add("create-image");
            return Task.FromResult("ami-baked");
        }

        public Task<BakedImage?> FindImageAsync(string imageId, CancellationToken cancellationToken) =>
            Task.FromResult<BakedImage?>(new BakedImage(imageId, "n", "available", null, new Dictionary<string, string>(), ["snap-1"]));

        public Task<IReadOnlyList<BakedImage>> ListImagesAsync(string? recipe, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<BakedImage>>([]);

        public Task TagAsync(IReadOnlyList<string> resourceIds, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken)
        {
            Tagged.AddRange(resourceIds);
            return Task.CompletedTask;
        }

        public Task DeregisterImageAsync(string imageId, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task DeleteSnapshotAsync(string snapshotId, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task TerminateInstanceAsync(string instanceId, CancellationToken cancellationToken)
        {
            Cleanup("terminate", cancellationToken);
            instances.Remove(instanceId);
            return Task.CompletedTask;
        }

        public Task DeleteSecurityGroupAsync(string groupId, CancellationToken cancellationToken)
        {
            GroupDeleteAttempts++;
            if (GroupDeleteAttempts == 1 && Calls.Contains("launch") && !FailLaunch)
            {
                throw new CloudDependencyException("DependencyViolation: resource sg-1 has a dependent object");
            }

            Cleanup("delete-group", cancellationToken);
            groups.Remove(groupId);
            return Task.CompletedTask;
        }

        public Task DeleteBuilderIdentityAsync(string bake, CancellationToken cancellationToken)
        {
            Cleanup("delete-identity", cancellationToken);
            return Task.CompletedTask;
        }

        public Task<IReadOnlyList<BuilderIdentityInfo>> ListBuilderIdentitiesAsync(CancellationToken cancellationToken) =>
            throw new NotSupportedException("a bake never lists other bakes' identities");

        public Task<BuilderResources> FindBuilderResourcesAsync(string bake, CancellationToken cancellationToken) =>
            Task.FromResult(new BuilderResources([.. instances], [.. groups], [$"/nodeimager/{bake}/status/i-1"]));

        public Task DeleteParametersAsync(IReadOnlyList<string> names, CancellationToken cancellationToken)
        {
            Cleanup("delete-parameters", cancellationToken);
            return Task.CompletedTask;
        }

        private void Cleanup(string call, CancellationToken cancellationToken)
        {
            Calls.Add(call);
            CleanupSawCancelledToken |= cancellationToken.IsCancellationRequested;
        }
    }
}
