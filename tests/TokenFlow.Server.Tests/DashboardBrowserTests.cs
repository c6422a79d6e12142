using System.Net;
using Microsoft.Playwright;

namespace TokenFlow.Server.Tests;

/// <summary>The dashboard in a real (headless Debian) Chromium: streams appear during a run and their buffers move.</summary>
public sealed class DashboardBrowserTests
{
    [Fact]
    public async Task StreamsAppearAndBuffersMove()
    {
        Assert.True(File.Exists("/usr/bin/chromium"), "Debian chromium is required: apt-get install -y chromium");
        await using var server = await TestModel.StartAsync(TestModel.Options(o => o with { DashboardInterval = 0.1, DashboardMaxStreams = 3 }), stepDelay: TimeSpan.FromMilliseconds(8));
        using var http = new HttpClient { BaseAddress = new Uri(server.Url + "/") };

        using var pw = await Playwright.CreateAsync();
        await using var browser = await pw.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
        var page = await browser.NewPageAsync();
        var external = new List<string>();
        page.Request += (_, r) => { if (!r.Url.StartsWith(server.Url, StringComparison.Ordinal)) external.Add(r.Url); };
        await page.GotoAsync(server.Url + "/");
        await page.WaitForFunctionAsync("() => +(document.body.dataset.updates || 0) > 0");

        // Slow readers (4 tok/s) of fast streams: buffers fill while we watch.
        using var cts = new CancellationTokenSource();
        var streams = Enumerable.Range(0, 5).Select(i => http.SendAsync(
            Sse.Post("v1/completions", $$"""{"prompt":"Once upon a time","max_tokens":300,"ignore_eos":true,"stream":true,"consumption_rate":4,"seed":{{i}}}"""),
            HttpCompletionOption.ResponseHeadersRead, cts.Token)).ToList();

        await page.WaitForSelectorAsync(".stream[data-state='running']", new PageWaitForSelectorOptions { Timeout = 15000 });
        var first = await Buffers(page);
        Assert.NotEmpty(first);
        await page.WaitForFunctionAsync(
            "before => [...document.querySelectorAll('.stream')].some(e => +e.dataset.buffer > (before[e.dataset.id] ?? 0) + 5)",
            first, new PageWaitForFunctionOptions { Timeout = 15000 });
        var counts = await page.TextContentAsync("#counts");
        Assert.Matches(@"^\d+ / \d+ / \d+$", counts!);
        Assert.Contains("blocks", await page.TextContentAsync("#dev-text"));
        Assert.True(await page.Locator("#tput path").CountAsync() == 1);
        // The list is capped (3 of 5, least slack first) with a count of the rest.
        await page.WaitForFunctionAsync("() => +(document.body.dataset.hidden || 0) === 2", null, new PageWaitForFunctionOptions { Timeout = 15000 });
        Assert.Equal(3, await page.Locator(".stream").CountAsync());
        Assert.Contains("2 more", await page.TextContentAsync("#more"));
        var slacks = await page.EvalOnSelectorAllAsync<double[]>(".stream .info", "els => els.map(e => parseFloat(e.textContent.split('·')[1]))");
        Assert.Equal(slacks.Order().ToArray(), slacks);
        // The new charts render, each with a time axis and a unit.
        await page.WaitForFunctionAsync("() => document.querySelector(\"#ttft path[data-series='ttft_p99']\")?.getAttribute('d')?.length > 0", null, new PageWaitForFunctionOptions { Timeout = 15000 });
        Assert.Equal(1, await page.Locator("#itl path").CountAsync());
        Assert.Equal(3, await page.Locator("#rates path").CountAsync());
        foreach (var (id, unit) in new[] { ("tput", "tok/s"), ("ttft", "s"), ("itl", "ms"), ("rates", "req/s") })
        {
            Assert.Contains("0 " + unit, await page.TextContentAsync("#" + id));
            Assert.True(await page.Locator($"#{id} text.tick").CountAsync() >= 1, $"#{id} has no time axis");
        }

        cts.Cancel();
        foreach (var s in streams) { try { (await s).Dispose(); } catch (OperationCanceledException) { } }
        // Aborted streams leave the page.
        await page.WaitForFunctionAsync("() => document.querySelectorAll('.stream').length === 0", null, new PageWaitForFunctionOptions { Timeout = 15000 });
        Assert.Empty(external);
        await Sse.WaitForIdleAsync(server);
        Assert.Equal("true", await page.EvaluateAsync<string>("() => document.body.dataset.connected"));
        // The feed drops: the page says so.
        await server.DisposeAsync();
        await page.WaitForFunctionAsync("() => document.body.dataset.connected === 'false'", null, new PageWaitForFunctionOptions { Timeout = 15000 });
        Assert.True(await page.Locator("#banner").IsVisibleAsync());
    }

    private static async Task<Dictionary<string, int>> Buffers(IPage page) =>
        await page.EvalOnSelectorAllAsync<Dictionary<string, int>>(".stream", "els => Object.fromEntries(els.map(e => [e.dataset.id, +e.dataset.buffer]))");
}
