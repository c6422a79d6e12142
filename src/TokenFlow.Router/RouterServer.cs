using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;
using TokenFlow.Router.Dashboard;
using TokenFlow.Router.Health;
using TokenFlow.Router.Metrics;
using TokenFlow.Router.Proxy;
using TokenFlow.Routing.Policies;
using TokenFlow.Server;
using TokenFlow.Server.Api;
using Yarp.ReverseProxy.Forwarder;

namespace TokenFlow.Router;

/// <summary>
/// <c>tokenflow router</c> as a library: a YARP reverse proxy over TokenFlow replicas with
/// buffer-aware routing (docs/router.md). <c>await using var router = await RouterServer.StartAsync(options);</c>
/// </summary>
public static class RouterServer
{
    public static async Task<RouterHandle> StartAsync(RouterOptions options, ILoggerFactory? loggers = null, CancellationToken ct = default)
    {
        Validate(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production", ApplicationName = typeof(RouterServer).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        if (loggers is not null) builder.Services.AddSingleton(loggers);
        else builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddHttpForwarder();
        builder.WebHost.UseKestrel(k => KestrelBinding.Apply(k, options.Host, options.Port, options.MaxBodyBytes));
        var app = builder.Build();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("TokenFlow.Router");
        var policy = RoutingPolicies.Create(options.Policy, options.BufferAware);
        var metrics = new RouterMetrics(policy.Name);
        var replicas = options.Replicas.Select((u, i) => new ReplicaEndpoint(i, u)).ToArray();
        foreach (var r in replicas) metrics.SetHealthy(r, true);
        var poller = new ReplicaPoller(replicas, options, metrics, log);
        var client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = TimeSpan.FromSeconds(2),
            ActivityHeadersPropagator = null,
        });
        var proxy = new ProxyHandler(options, replicas, policy, poller, metrics, app.Services.GetRequiredService<IHttpForwarder>(), client);

        app.Use((http, next) => ErrorHandling.Middleware(http, next, log));
        app.Use(ErrorHandling.ApiKey(options.ApiKey));
        app.MapPost("/v1/completions", (HttpContext http) => proxy.HandleAsync(http, generation: true));
        app.MapPost("/v1/chat/completions", (HttpContext http) => proxy.HandleAsync(http, generation: true));
        app.MapGet("/v1/models", (HttpContext http) => proxy.HandleAsync(http, generation: false));
        app.MapGet("/v1/models/{id}", (HttpContext http) => proxy.HandleAsync(http, generation: false));
        app.MapPost("/tokenize", (HttpContext http) => proxy.HandleAsync(http, generation: false));
        app.MapPost("/detokenize", (HttpContext http) => proxy.HandleAsync(http, generation: false));
        app.MapGet("/health", () => replicas.Any(r => r.Tracker.Healthy) ? Results.Ok() : Results.StatusCode(503));
        app.MapGet("/metrics", async (HttpContext http) =>
        {
            http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await metrics.Registry.CollectAndExportAsTextAsync(http.Response.Body, http.RequestAborted);
        });
        app.MapGet("/", () => Results.Content(RouterDashboard.Render(replicas, policy.Name), "text/html; charset=utf-8"));
        string[] postOnly = ["/v1/completions", "/v1/chat/completions", "/tokenize", "/detokenize"];
        app.MapFallback((HttpContext http) => throw (postOnly.Contains(http.Request.Path.Value?.TrimEnd('/'), StringComparer.OrdinalIgnoreCase)
            ? new ApiException(405, $"Method {http.Request.Method} is not allowed on {http.Request.Path}; use POST.", "invalid_request_error", null, "method_not_allowed")
            : new ApiException(404, $"Not found: {http.Request.Method} {http.Request.Path}", "invalid_request_error", null, "not_found")));

        try { await app.StartAsync(ct); }
        catch
        {
            await poller.DisposeAsync();
            client.Dispose();
            await app.DisposeAsync();
            throw;
        }
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var url = (addresses?.FirstOrDefault() ?? $"http://{options.Host}:{options.Port}").TrimEnd('/');
        url = url.Replace("://[::]", "://localhost").Replace("://0.0.0.0", "://localhost");
        return new RouterHandle(app, poller, client, replicas, metrics, url);
    }

    /// <summary>Rejects impossible settings with a one-line message (the CLI prints it and exits 2).</summary>
    public static void Validate(RouterOptions o)
    {
        static void Check(bool ok, string message) { if (!ok) throw new ArgumentException(message); }
        Check(o.Replicas.Count > 0, "give at least one --replica URL (or --replicas-file)");
        foreach (var u in o.Replicas)
            Check(Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https", $"--replica must be an http(s) URL, got '{u}'");
        Check(RoutingPolicies.Names.Contains(o.Policy.ToLowerInvariant()), $"--policy must be one of {string.Join(", ", RoutingPolicies.Names)}, got '{o.Policy}'");
        Check(o.Port is >= 0 and <= 65535, $"--port must be 0..65535, got {o.Port}");
        Check(o.PollInterval is > 0 and <= 10, "--poll-interval must be in (0, 10] seconds");
        Check(o.HealthInterval is > 0 and <= 60, "--health-interval must be in (0, 60] seconds");
        Check(o.ProbeTimeout > 0, "--probe-timeout must be positive");
        Check(double.IsFinite(o.DefaultConsumptionRate) && o.DefaultConsumptionRate > 0, "--default-consumption-rate must be positive");
        Check(o.RetryAfterSeconds >= 0, "--retry-after must not be negative");
        Check(o.ApiKey is null || o.ApiKey.Length > 0, "--api-key must not be empty");
        Check(o.BufferAware.SaturatedWaiting >= 0, "--saturated-waiting must not be negative");
    }
}
