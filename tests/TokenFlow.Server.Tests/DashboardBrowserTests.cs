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
        await using var server = await TestModel.StartAsync(TestModel.Options(o => o with { DashboardInterval = 0.1 }), stepDelay: TimeSpan.FromMilliseconds(8));
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
        var streams = Enumerable.Range(0, 4).Select(i => http.SendAsync(
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

        cts.Cancel();
        foreach (var s in streams) { try { (await s).Dispose(); } catch (OperationCanceledException) { } }
        // Aborted streams leave the page.
        await page.WaitForFunctionAsync("() => document.querySelectorAll('.stream').length === 0", null, new PageWaitForFunctionOptions { Timeout = 15000 });
        Assert.Empty(external);
        await Sse.WaitForIdleAsync(server);
    }

    private static async Task<Dictionary<string, int>> Buffers(IPage page) =>
        await page.EvalOnSelectorAllAsync<Dictionary<string, int>>(".stream", "els => Object.fromEntries(els.map(e => [e.dataset.id, +e.dataset.buffer]))");
}
