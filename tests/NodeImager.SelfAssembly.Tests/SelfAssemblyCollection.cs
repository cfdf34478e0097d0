using NodeImager.Aws.Tests.Support;

namespace NodeImager.SelfAssembly.Tests;

/// <summary>
/// Tests that boot simulated nodes: they need root (overlayfs, chroot, mount) and the trixie chroot, and share one
/// emulator. They run one after another (each boots up to five nodes on a small machine).
/// </summary>
[CollectionDefinition(Name)]
public sealed class SelfAssemblyCollection : ICollectionFixture<Emulator>
{
    public const string Name = "self-assembly (root, overlayfs)";
}
