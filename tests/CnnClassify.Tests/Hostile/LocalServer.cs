using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CnnClassify.Tests.Hostile;

/// <summary>How <see cref="LocalServer"/> answers a download.</summary>
internal enum ServerBehaviour
{
    /// <summary>Accepts the connection and never answers.</summary>
    Silent,

    /// <summary>Announces 46 MB, then sends one byte every 200 ms.</summary>
    Trickle,

    /// <summary>Sends no length and streams zeros without end.</summary>
    Endless,

    /// <summary>Answers 404.</summary>
    NotFound,
}

/// <summary>
/// A web server on 127.0.0.1 that misbehaves as told, for at most a few connections and until it
/// is disposed, whichever comes first.
/// </summary>
internal sealed class LocalServer : IDisposable
{
    private const int MaxConnections = 4;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromSeconds(60));
    private readonly Task _serving;

    public LocalServer(ServerBehaviour behaviour)
    {
        _listener.Start();
        _serving = Task.Run(() => ServeAsync(behaviour));
    }

    /// <summary>The base address, to put in CNNCLASSIFY_WEIGHTS_URL.</summary>
    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/models";

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            _serving.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }

    private async Task ServeAsync(ServerBehaviour behaviour)
    {
        var clients = new List<Task>();
        try
        {
            for (var i = 0; i < MaxConnections; i++)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
                clients.Add(Task.Run(() => AnswerAsync(client, behaviour)));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        await Task.WhenAll(clients).ConfigureAwait(false);
    }

    private async Task AnswerAsync(TcpClient client, ServerBehaviour behaviour)
    {
        using var connection = client;
        try
        {
            var stream = client.GetStream();
            var request = new byte[4096];
            _ = await stream.ReadAsync(request, _stop.Token).ConfigureAwait(false);
            switch (behaviour)
            {
                case ServerBehaviour.Silent:
                    await Task.Delay(Timeout.Infinite, _stop.Token).ConfigureAwait(false);
                    break;
                case ServerBehaviour.NotFound:
                    await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), _stop.Token).ConfigureAwait(false);
                    break;
                case ServerBehaviour.Trickle:
                    await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 46830571\r\nConnection: close\r\n\r\n"), _stop.Token).ConfigureAwait(false);
                    while (true)
                    {
                        await stream.WriteAsync(new byte[1], _stop.Token).ConfigureAwait(false);
                        await Task.Delay(200, _stop.Token).ConfigureAwait(false);
                    }

                case ServerBehaviour.Endless:
                    await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"), _stop.Token).ConfigureAwait(false);
                    var block = new byte[1 << 16];
                    while (true)
                    {
                        await stream.WriteAsync(block, _stop.Token).ConfigureAwait(false);
                    }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
    }
}
