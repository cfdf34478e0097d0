using NodeImager.Core.Images;

namespace NodeImager.Core.Tests.Images;

public sealed class ImagePruningTests
{
    private static BakedImage Image(string id, int? day, int createdDay = 1) => new(
        id,
        "nodeimager/r/1.37.2/" + id,
        "available",
        new DateTimeOffset(2026, 10, createdDay, 0, 0, 0, TimeSpan.Zero),
        day is { } d ? new Dictionary<string, string> { [ImageTags.BuiltAt] = $"2026-11-{d:00}T00:00:00Z" } : new Dictionary<string, string>(),
        ["snap-" + id]);

    [Fact]
    public void Keeps_the_newest_N_by_built_at_and_removes_the_rest()
    {
        var (keep, remove) = ImagePruning.Split([Image("a", 3), Image("b", 1), Image("c", 4), Image("d", 2)], 2);
        Assert.Equal(["c", "a"], keep.Select(i => i.ImageId));
        Assert.Equal(["d", "b"], remove.Select(i => i.ImageId));
    }

    [Fact]
    public void Without_a_built_at_tag_the_creation_date_counts_and_keep_zero_or_more_than_there_are_works()
    {
        var images = new[] { Image("old", null, createdDay: 2), Image("new", null, createdDay: 9) };
        Assert.Equal(["new"], ImagePruning.Split(images, 1).Keep.Select(i => i.ImageId));
        Assert.Empty(ImagePruning.Split(images, 0).Keep);
        Assert.Empty(ImagePruning.Split(images, 5).Remove);
        Assert.Throws<ArgumentOutOfRangeException>(() => ImagePruning.Split(images, -1));
    }
}
