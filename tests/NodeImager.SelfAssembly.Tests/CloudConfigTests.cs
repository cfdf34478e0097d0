using System.IO.Compression;
using System.Text;
using NodeImager.SelfAssembly.Tests.Simulation;

namespace NodeImager.SelfAssembly.Tests;

/// <summary>The runner's reading of user-data matches cloud-init's and refuses what it would not run.</summary>
public sealed class CloudConfigTests
{
    [Fact]
    public void Runcmd_list_entries_are_shell_quoted_words_and_strings_are_verbatim()
    {
        var config = CloudConfig.Parse("#cloud-config\nruncmd:\n  - [bash, /x.sh, \"two words\", \"it's\"]\n  - echo $HOME | tee /y\n");
        Assert.Equal("#!/bin/sh\nbash /x.sh 'two words' 'it'\"'\"'s'\necho $HOME | tee /y\n", config.RunCommandScript);
    }

    [Fact]
    public void Unknown_keys_fail_loudly()
    {
        var error = Assert.Throws<CloudConfigException>(() => CloudConfig.Parse("#cloud-config\nruncmd: [[true]]\nusers: [default]\n"));
        Assert.Contains("users", error.Message, StringComparison.Ordinal);
        Assert.Throws<CloudConfigException>(() => CloudConfig.Parse("#cloud-config\nwrite_files:\n  - path: /a\n    source: {uri: http://x}\n"));
        Assert.Throws<CloudConfigException>(() => CloudConfig.Parse("#!/bin/bash\necho hi\n"));
    }

    [Fact]
    public void Gzipped_user_data_and_encoded_files_are_decoded()
    {
        var inner = new MemoryStream();
        using (var gzip = new GZipStream(inner, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write("hello"u8);
        }

        var text = $"#cloud-config\nwrite_files:\n  - path: /etc/a\n    encoding: b64\n    content: {Convert.ToBase64String("plain"u8)}\n    permissions: '0600'\n  - path: /etc/b\n    encoding: gz+b64\n    content: {Convert.ToBase64String(inner.ToArray())}\n    defer: true\n";
        var packed = new MemoryStream();
        using (var gzip = new GZipStream(packed, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        var config = CloudConfig.FromUserData(packed.ToArray());
        Assert.Equal("plain", Encoding.UTF8.GetString(config.Files[0].Content));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, config.Files[0].Permissions);
        Assert.False(config.Files[0].Defer);
        Assert.Equal("hello", Encoding.UTF8.GetString(config.Files[1].Content));
        Assert.True(config.Files[1].Defer);
    }
}
