using System.IO.Compression;
using System.Text;
using NodeImager.Core.Model;

namespace NodeImager.Core.Rendering;

/// <summary>One cloud-init document. <see cref="UserData"/> is exactly what EC2 gets: the text itself when it fits
/// in EC2's 16,384-byte limit, otherwise its gzip (cloud-init decodes gzip user-data).</summary>
public sealed record RenderedDocument(string Name, string Text, byte[] UserData, bool Gzipped)
{
    public const int MaxUserDataBytes = 16_384;

    public int TextBytes => Encoding.UTF8.GetByteCount(Text);

    public static RenderedDocument FromText(string name, string text)
    {
        var plain = Encoding.UTF8.GetBytes(text);
        if (plain.Length <= MaxUserDataBytes)
        {
            return new RenderedDocument(name, text, plain, Gzipped: false);
        }

        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(plain);
        }

        var packed = buffer.ToArray();
        return packed.Length <= MaxUserDataBytes
            ? new RenderedDocument(name, text, packed, Gzipped: true)
            : throw new NodeImagerException(
                $"The {name} user-data is {packed.Length} bytes even gzipped; EC2 allows {MaxUserDataBytes}.",
                "Shorten the templates (see --templates).");
    }
}

/// <summary>Every document of one cluster, plus a preview of the kubeadm config the master writes at boot.</summary>
public sealed record RenderedCluster(RenderedDocument Master, RenderedDocument Worker, RenderedDocument ImageBuild, string KubeadmConfigPreview)
{
    public RenderedDocument For(NodeRole role) => role == NodeRole.Master ? Master : Worker;

    public IReadOnlyList<RenderedDocument> Documents => [Master, Worker, ImageBuild];
}
