using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace TokenFlow.Bench.Fake;

/// <summary>
/// A minimal OpenAI-compatible streaming server on raw sockets (HTTP/1.1, keep-alive, chunked SSE), for
/// tests and for measuring the bench's own overhead: it does no model work, so every microsecond a run
/// spends is the client's. It honours max_tokens / max_completion_tokens and include_usage, and can inject
/// faults. Not a general HTTP server.
/// </summary>
public sealed class FakeOpenAiServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly FakeServerOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;
    private readonly List<Socket> _connections = [];
    private int _streams;
    private volatile bool _refusing;

    private FakeOpenAiServer(FakeServerOptions options)
    {
        _options = options;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(4096);
        Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}";
        _accept = AcceptLoop();
    }

    public string Url { get; }
    /// <summary>Streaming requests received so far.</summary>
    public int StreamsStarted => Volatile.Read(ref _streams);

    public static FakeOpenAiServer Start(FakeServerOptions? options = null) => new(options ?? new FakeServerOptions());

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket s;
            try { s = await _listener.AcceptAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
            s.NoDelay = true;
            lock (_connections) _connections.Add(s);
            _ = Task.Run(() => Serve(s));
        }
    }

    private async Task Serve(Socket socket)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        var reader = new HttpRequestReader(stream);
        try
        {
            while (!_stop.IsCancellationRequested && !_refusing)
            {
                var req = await reader.ReadAsync(_stop.Token);
                if (req is null) return;
                await Handle(stream, req.Value.Method, req.Value.Path, req.Value.Body);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException) { }
        finally { lock (_connections) _connections.Remove(socket); }
    }

    private async Task Handle(NetworkStream stream, string method, string path, byte[] body)
    {
        path = path.Split('?')[0];
        if (method == "GET" && path == "/v1/models")
        {
            await Json(stream, 200, $$"""{"object":"list","data":[{"id":"{{_options.ModelId}}","object":"model","created":0,"owned_by":"fake"}]}""");
            return;
        }
        if (method == "GET" && path == "/health") { await Json(stream, 200, "{}"); return; }
        if (method != "POST" || (path != "/v1/completions" && path != "/v1/chat/completions"))
        {
            await Json(stream, 404, """{"error":{"message":"not found","type":"invalid_request_error","param":null,"code":"not_found"}}""");
            return;
        }
        var chat = path == "/v1/chat/completions";
        int maxTokens = 16;
        bool streaming = false, usage = false;
        var words = 0;
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.TryGetProperty("max_completion_tokens", out var m) || root.TryGetProperty("max_tokens", out m)) maxTokens = m.GetInt32();
            streaming = root.TryGetProperty("stream", out var st) && st.ValueKind == JsonValueKind.True;
            usage = root.TryGetProperty("stream_options", out var so) && so.TryGetProperty("include_usage", out var iu) && iu.ValueKind == JsonValueKind.True;
            var text = chat ? root.GetProperty("messages")[0].GetProperty("content").GetString() : root.GetProperty("prompt").GetString();
            words = (text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            await Json(stream, 400, """{"error":{"message":"bad request","type":"invalid_request_error","param":null,"code":null}}""");
            return;
        }
        var promptTokens = (int)Math.Round(words * _options.TokensPerWord) + _options.PromptOverhead;
        if (!streaming)
        {
            var text = chat ? """{"index":0,"message":{"role":"assistant","content":"x"},"finish_reason":"length"}""" : """{"index":0,"text":"x","finish_reason":"length"}""";
            var usageJson = $"\"usage\":{{\"prompt_tokens\":{promptTokens},\"completion_tokens\":1,\"total_tokens\":{promptTokens + 1}}}";
            await Json(stream, 200, $"{{\"id\":\"cmpl-fake\",\"object\":\"{(chat ? "chat.completion" : "text_completion")}\",\"created\":0,\"model\":\"{_options.ModelId}\",\"choices\":[{text}],{usageJson}}}");
            return;
        }
        var index = Interlocked.Increment(ref _streams) - 1;
        var fault = _options.Fault?.Invoke(index) ?? FakeFault.None;
        switch (fault)
        {
            case FakeFault.Http500:
                await Json(stream, 500, """{"error":{"message":"injected failure","type":"server_error","param":null,"code":null}}""");
                return;
            case FakeFault.RefuseFromHere:
                StopListening();
                throw new IOException("refusing");
        }
        await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n"u8.ToArray());
        if (_options.FirstTokenDelay > TimeSpan.Zero) await Task.Delay(_options.FirstTokenDelay);
        var cut = fault is FakeFault.BreakMidStream or FakeFault.StreamErrorEvent ? Math.Max(1, maxTokens / 2) : maxTokens;
        var piece = chat ? "\"delta\":{\"content\":\" tok\"}" : "\"text\":\" tok\"";
        var chunk = Encoding.UTF8.GetBytes($"data: {{\"id\":\"cmpl-fake\",\"object\":\"{(chat ? "chat.completion.chunk" : "text_completion")}\",\"created\":0,\"model\":\"{_options.ModelId}\",\"choices\":[{{\"index\":0,{piece},\"finish_reason\":null}}]}}\n\n");
        var framed = Frame(chunk);
        for (var i = 0; i < cut; i++)
        {
            if (i > 0 && _options.TokenInterval > TimeSpan.Zero) await Task.Delay(_options.TokenInterval);
            await stream.WriteAsync(framed);
        }
        if (fault == FakeFault.BreakMidStream) throw new IOException("injected break");
        if (fault == FakeFault.StreamErrorEvent)
        {
            await stream.WriteAsync(Frame("data: {\"error\":{\"message\":\"injected stream error\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n"u8.ToArray()));
            await stream.WriteAsync(Frame("data: [DONE]\n\n"u8.ToArray()));
            await stream.WriteAsync("0\r\n\r\n"u8.ToArray());
            return;
        }
        if (usage)
            await stream.WriteAsync(Frame(Encoding.UTF8.GetBytes($"data: {{\"id\":\"cmpl-fake\",\"object\":\"text_completion\",\"created\":0,\"model\":\"{_options.ModelId}\",\"choices\":[],\"usage\":{{\"prompt_tokens\":{promptTokens},\"completion_tokens\":{cut},\"total_tokens\":{promptTokens + cut}}}}}\n\n")));
        await stream.WriteAsync(Frame("data: [DONE]\n\n"u8.ToArray()));
        await stream.WriteAsync("0\r\n\r\n"u8.ToArray());
    }

    /// <summary>Closes the listening socket and every open connection: new connections are refused.</summary>
    public void StopListening()
    {
        _refusing = true;
        try { _listener.Close(); } catch (SocketException) { }
        lock (_connections)
            foreach (var c in _connections)
                try { c.Shutdown(SocketShutdown.Both); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    private static byte[] Frame(byte[] data)
    {
        var head = Encoding.ASCII.GetBytes(data.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n");
        var framed = new byte[head.Length + data.Length + 2];
        head.CopyTo(framed, 0);
        data.CopyTo(framed, head.Length);
        framed[^2] = (byte)'\r';
        framed[^1] = (byte)'\n';
        return framed;
    }

    private static async Task Json(NetworkStream stream, int status, string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var reason = status switch { 200 => "OK", 400 => "Bad Request", 404 => "Not Found", _ => "Internal Server Error" };
        var head = Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n");
        await stream.WriteAsync(head);
        await stream.WriteAsync(body);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        StopListening();
        try { await _accept; } catch (Exception e) when (e is OperationCanceledException or SocketException) { }
        _listener.Dispose();
        _stop.Dispose();
    }
}
