using System.Net;
using NodeImager.Core.Model;
using NodeImager.Core.Orchestration;

namespace NodeImager.Aws;

/// <summary>The operator's public IPv4 address as /32, from AWS's HTTPS echo service (what the nodes' security
/// groups will see as the source of the operator's connections).</summary>
public sealed class OperatorAddress(string echoUrl = OperatorAddress.DefaultEchoUrl) : IOperatorAddress
{
    public const string DefaultEchoUrl = "https://checkip.amazonaws.com/";

    public async Task<Cidr?> FindAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var text = (await http.GetStringAsync(new Uri(echoUrl), cancellationToken)).Trim();
            return IPAddress.TryParse(text, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
                ? new Cidr(address, 32)
                : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}
