using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace NodeImager.Core.Model;

/// <summary>An IPv4 network in CIDR notation, normalised (host bits must be zero).</summary>
public sealed record Cidr(IPAddress Network, int PrefixLength)
{
    public static bool TryParse(string? text, out Cidr cidr, out string error)
    {
        cidr = null!;
        var parts = (text ?? string.Empty).Trim().Split('/');
        if (parts.Length != 2
            || !IPAddress.TryParse(parts[0], out var address)
            || address.AddressFamily != AddressFamily.InterNetwork
            || parts[0].Count(c => c == '.') != 3
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix)
            || prefix is < 0 or > 32)
        {
            error = "expected an IPv4 network in CIDR notation, like 10.244.0.0/16";
            return false;
        }

        var value = ToUInt(address);
        var mask = Mask(prefix);
        if ((value & ~mask) != 0)
        {
            error = $"host bits are set; the network is {FromUInt(value & mask)}/{prefix}";
            return false;
        }

        cidr = new Cidr(address, prefix);
        error = string.Empty;
        return true;
    }

    public static Cidr Parse(string text) =>
        TryParse(text, out var cidr, out var error) ? cidr : throw new FormatException($"'{text}': {error}");

    public bool Overlaps(Cidr other)
    {
        var prefix = Math.Min(PrefixLength, other.PrefixLength);
        var mask = Mask(prefix);
        return (ToUInt(Network) & mask) == (ToUInt(other.Network) & mask);
    }

    public override string ToString() => $"{Network}/{PrefixLength}";

    private static uint Mask(int prefix) => prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);

    private static uint ToUInt(IPAddress address)
    {
        var b = address.GetAddressBytes();
        return ((uint)b[0] << 24) | ((uint)b[1] << 16) | ((uint)b[2] << 8) | b[3];
    }

    private static IPAddress FromUInt(uint value) =>
        new([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);
}
