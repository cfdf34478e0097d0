using System.Text;
using NodeImager.Core.Rendering;

namespace NodeImager.Core.Tests.Rendering;

public sealed class RenderedDocumentTests
{
    [Fact]
    public void Small_documents_go_as_plain_text()
    {
        var document = RenderedDocument.FromText("worker", "#cloud-config\nruncmd: [[true]]\n");
        Assert.False(document.Gzipped);
        Assert.Equal(Encoding.UTF8.GetBytes(document.Text), document.UserData);
    }

    [Fact]
    public void Documents_over_the_limit_go_gzipped()
    {
        var text = "#cloud-config\n" + string.Concat(Enumerable.Repeat("# a comment line that repeats\n", 1000));
        var document = RenderedDocument.FromText("master", text);
        Assert.True(document.Gzipped);
        Assert.True(document.UserData.Length <= RenderedDocument.MaxUserDataBytes);
        Assert.Equal([0x1f, 0x8b], document.UserData[..2]);
    }

    [Fact]
    public void Documents_too_big_even_gzipped_are_refused()
    {
        var random = new Random(7);
        var text = "#cloud-config\n# " + string.Concat(Enumerable.Range(0, 40_000).Select(_ => (char)random.Next('!', '~')));
        var error = Assert.Throws<NodeImagerException>(() => RenderedDocument.FromText("master", text));
        Assert.Contains("16384", error.Message, StringComparison.Ordinal);
    }
}
