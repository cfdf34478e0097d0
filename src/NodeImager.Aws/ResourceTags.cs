using Amazon.EC2;
using Amazon.EC2.Model;
using Ec2Tag = Amazon.EC2.Model.Tag;

namespace NodeImager.Aws;

/// <summary>Tags as EC2 takes them at creation, so a resource never exists untagged (down finds it by its tags).</summary>
internal static class ResourceTags
{
    /// <summary>The tags for one resource type; <paramref name="name"/> becomes the Name tag unless the tags carry one.</summary>
    public static TagSpecification Specification(ResourceType type, IReadOnlyDictionary<string, string> tags, string? name)
    {
        var list = tags.Select(t => new Ec2Tag(t.Key, t.Value)).ToList();
        if (name is not null && !tags.ContainsKey("Name"))
        {
            list.Add(new Ec2Tag("Name", name));
        }

        return new TagSpecification { ResourceType = type, Tags = list };
    }
}
