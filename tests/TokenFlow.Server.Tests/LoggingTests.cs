using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using TokenFlow.Server.Logging;
using TokenFlow.Server.Model;

namespace TokenFlow.Server.Tests;

/// <summary>--log-requests writes one line per finished request; the console configuration lets it through at any level.</summary>
public sealed class LoggingTests
{
    private sealed class CaptureProvider : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, LogLevel Level, string Message)> Lines { get; } = new();
        public ILogger CreateLogger(string category) => new Capture(this, category);
        public void Dispose() { }

        private sealed class Capture(CaptureProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel level) => true;
            public void Log<TState>(LogLevel level, EventId id, TState state, Exception? e, Func<TState, Exception?, string> format) =>
                owner.Lines.Enqueue((category, level, format(state, e)));
        }
    }

    private static async Task<CaptureProvider> RunAsync(bool logRequests, int requests)
    {
        var capture = new CaptureProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(capture));
        var options = TestModel.Options(o => o with { LogRequests = logRequests });
        await using (var server = await TokenFlowServer.StartAsync(options, LoadedModelHost.Load(options.ModelPath!, options.TokenizerPath), factory))
        {
            using var http = new HttpClient { BaseAddress = new Uri(server.Url + "/") };
            for (var i = 0; i < requests; i++)
            {
                var body = i % 2 == 0
                    ? """{"prompt":"Once upon a time","max_tokens":5,"temperature":0}"""
                    : """{"prompt":"Once upon a time","max_tokens":5,"temperature":0,"stream":true}""";
                using var r = await http.SendAsync(Sse.Post("v1/completions", body));
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
                await r.Content.ReadAsStringAsync();
            }
            // The line is written as the handler returns, just after the body.
            for (var i = 0; i < 100 && capture.Lines.Count(l => l.Category == ServerLogging.RequestCategory) < (logRequests ? requests : 0); i++) await Task.Delay(20);
        }
        return capture;
    }

    [Fact]
    public async Task LogRequestsWritesOneLinePerRequest()
    {
        var on = await RunAsync(logRequests: true, requests: 3);
        var lines = on.Lines.Where(l => l.Category == ServerLogging.RequestCategory).ToList();
        Assert.Equal(3, lines.Count);
        Assert.All(lines, l => Assert.Contains("finished: length, 5 prompt + 5 generated tokens", l.Message));
        Assert.Equal(LogLevel.Information, lines[0].Level);
        Assert.Contains(on.Lines, l => l.Category == "TokenFlow.Server" && l.Message.StartsWith("serving ", StringComparison.Ordinal));
        Assert.Contains(on.Lines, l => l.Category == "TokenFlow.Server" && l.Message.StartsWith("shut down in", StringComparison.Ordinal));

        var off = await RunAsync(logRequests: false, requests: 1);
        Assert.DoesNotContain(off.Lines, l => l.Category == ServerLogging.RequestCategory);
    }

    [Fact]
    public async Task StatsLineAppearsWhileBusyOnly()
    {
        var capture = new CaptureProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(capture));
        var options = TestModel.Options(o => o with { StatsInterval = 0.2 });
        IModelHost model = new SlowModelHost(LoadedModelHost.Load(options.ModelPath!, options.TokenizerPath), TimeSpan.FromMilliseconds(5));
        await using var server = await TokenFlowServer.StartAsync(options, model, factory);
        await Task.Delay(700); // idle: nothing to say
        Assert.DoesNotContain(capture.Lines, l => l.Category == ServerLogging.StatsCategory);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url + "/") };
        using var r = await http.SendAsync(Sse.Post("v1/completions", """{"prompt":"Once upon a time","max_tokens":150,"ignore_eos":true,"temperature":0}"""));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        for (var i = 0; i < 100 && !capture.Lines.Any(l => l.Category == ServerLogging.StatsCategory); i++) await Task.Delay(20);
        var line = Assert.Single(capture.Lines.Where(l => l.Category == ServerLogging.StatsCategory).Take(1));
        Assert.Matches(@"Avg generation throughput: [1-9][\d.]* tokens/s, Running: \d+ reqs, Waiting: \d+ reqs, Paused: \d+ reqs, device KV cache usage: [\d.]+%", line.Message);
    }

    [Fact]
    public void ConsoleConfigurationHonoursLevelAndRequestFlag()
    {
        using var quiet = LoggerFactory.Create(b => ServerLogging.Configure(b, new ServerOptions { LogLevel = LogLevel.Warning, LogRequests = true }));
        Assert.True(quiet.CreateLogger(ServerLogging.RequestCategory).IsEnabled(LogLevel.Information));
        Assert.False(quiet.CreateLogger(ServerLogging.StatsCategory).IsEnabled(LogLevel.Information));
        Assert.False(quiet.CreateLogger("Microsoft.AspNetCore.Hosting").IsEnabled(LogLevel.Information));
        using var info = LoggerFactory.Create(b => ServerLogging.Configure(b, new ServerOptions { LogLevel = LogLevel.Information, LogFormat = "json" }));
        Assert.True(info.CreateLogger(ServerLogging.StatsCategory).IsEnabled(LogLevel.Information));
        Assert.False(info.CreateLogger("Microsoft.AspNetCore.Routing").IsEnabled(LogLevel.Information));
        Assert.Equal(LogLevel.Warning, ServerLogging.ParseLevel("warning"));
        Assert.Throws<ArgumentException>(() => ServerLogging.ParseLevel("loud"));
    }
}
