// The simulator mounts overlays and chroots: it only ever runs on Linux.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
