using System.Net;
using System.Text;
using NodeImager.Aws.Tests.Support;

namespace NodeImager.Aws.Tests;

/// <summary>
/// The operator's address from an HTTPS echo service (checkip): the parsing and the failure paths, against a real
/// HTTP server on loopback standing in for the echo service (tests never leave 127.0.0.0/8).
/// </summary>
public sealed class OperatorAddressTests : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly string url;
    private string answer = string.Empty;

    public OperatorAddressTests()
    {
        url = $"http://127.0.0.1:{Emulator.FreePort()}/";
        listener.Prefixes.Add(url);
        listener.Start();
        _ = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                try
                {
                    var context = await listener.GetContextAsync();
                    var bytes = Encoding.ASCII.GetBytes(answer);
                    await context.Response.OutputStream.WriteAsync(bytes);
                    context.Response.Close();
                }
                catch (HttpListenerException)
                {
                    return;
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
            }
        });
    }

    public void Dispose() => listener.Close();

    [Theory]
    [InlineData("203.0.113.7\n", "203.0.113.7/32")]
    [InlineData("  198.51.100.20  ", "198.51.100.20/32")]
    [InlineData("2001:db8::1\n", null)]
    [InlineData("<html>captive portal</html>", null)]
    [InlineData("", null)]
    public async Task The_echoed_address_becomes_a_32_or_nothing(string echoed, string? expected)
    {
        answer = echoed;

        var found = await new OperatorAddress(url).FindAsync(CancellationToken.None);

        Assert.Equal(expected, found?.ToString());
    }

    [Fact]
    public async Task An_unreachable_echo_service_means_no_address_rather_than_an_error()
    {
        var closed = $"http://127.0.0.1:{Emulator.FreePort()}/";

        Assert.Null(await new OperatorAddress(closed).FindAsync(CancellationToken.None));
    }
}
