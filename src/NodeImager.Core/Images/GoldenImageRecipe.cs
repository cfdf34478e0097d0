using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using NodeImager.Core.Model;

namespace NodeImager.Core.Images;

/// <summary>What a golden image holds: images/NAME.yaml. The name is the file's name without .yaml.</summary>
public sealed record GoldenImageRecipe
{
    public required string Name { get; init; }

    public required string SourcePath { get; init; }

    public string Description { get; init; } = string.Empty;

    /// <summary>ubuntu-24.04, ubuntu-26.04, or a source AMI id.</summary>
    public required string Base { get; init; }

    public required KubernetesVersion KubernetesVersion { get; init; }

    public required RuntimeSpec Runtime { get; init; }

    /// <summary>Pull the control-plane images of the version (kubeadm config images pull).</summary>
    public bool PrePullControlPlane { get; init; } = true;

    /// <summary>Pull flannel's images.</summary>
    public bool PrePullFlannel { get; init; } = true;

    public IReadOnlyList<string> PrePullImages { get; init; } = [];

    public IReadOnlyList<string> Packages { get; init; } = [];

    public required string InstanceType { get; init; }

    public bool BaseIsAmi => Base.StartsWith("ami-", StringComparison.Ordinal);

    /// <summary>Identifies what the image holds: images built from equal recipes are interchangeable. Tags on the
    /// image and the marker on its disk carry it; a node compares it before skipping the install.</summary>
    public string Hash
    {
        get
        {
            var canonical = JsonSerializer.Serialize(new
            {
                Base,
                KubernetesVersion = KubernetesVersion.ToString(),
                Runtime.Docker,
                Runtime.SandboxImage,
                PrePullControlPlane,
                PrePullFlannel,
                PrePullImages,
                Packages,
                InstanceType,
            });
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..16];
        }
    }
}
