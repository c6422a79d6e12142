using Xunit.Abstractions;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace TokenFlow.Server.Tests;

/// <summary>
/// Graceful shutdown of a real <c>tokenflow serve</c> child process: SIGTERM during 32 streams ends
/// every stream (done or aborted with an error event), the process exits 0 within the timeout, and
/// the shutdown line reports no KV block in use.
/// </summary>
public sealed partial class ShutdownTests(ITestOutputHelper testOutput)
{
    private const double ShutdownTimeout = 1.0;

    [Fact]
    public async Task SigtermDuring32StreamsEndsEveryStreamAndExitsZeroWithNoBlockLeft()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // SIGTERM is a POSIX signal
        var cli = CliPath();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { cli, "serve", "--port", "0", "--model", TestModel.ModelPath, "--tokenizer", TestModel.TokenizerPath, "--threads", "1",
                     "--policy", "tokenflow", "--device-kv-blocks", "96", "--host-kv-blocks", "1024", "--max-num-queued-reqs", "64",
                     "--transfer-bandwidth", "2e7", "--shutdown-timeout", ShutdownTimeout.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);
        using var proc = Process.Start(start)!;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var url = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        proc.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            output.Enqueue(e.Data);
            if (ListeningLine().Match(e.Data) is { Success: true } m) url.TrySetResult(m.Groups[1].Value);
        };
        proc.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue("stderr: " + e.Data); };
        proc.BeginOutputReadLine();
        proc.BeginErrorReadLine();
        try
        {
            var baseUrl = await url.Task.WaitAsync(TimeSpan.FromSeconds(60));
            using var http = new HttpClient { BaseAddress = new Uri(baseUrl + "/"), Timeout = TimeSpan.FromSeconds(60) };
            var firstChunk = new CountdownEvent(32);
            var streams = Enumerable.Range(0, 32).Select(i => ReadStreamAsync(http, i, firstChunk)).ToArray();
            Assert.True(firstChunk.Wait(TimeSpan.FromSeconds(60)), "not every stream started");

            var sent = Stopwatch.StartNew();
            using (var kill = Process.Start("kill", ["-TERM", proc.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
            var ends = await Task.WhenAll(streams).WaitAsync(TimeSpan.FromSeconds(30));
            using var exitWait = new CancellationTokenSource(TimeSpan.FromSeconds(ShutdownTimeout + 10));
            await proc.WaitForExitAsync(exitWait.Token);
            var took = sent.Elapsed.TotalSeconds;
            var log = string.Join("\n", output);
            testOutput.WriteLine(log);
            testOutput.WriteLine($"streams: {ends.Count(e => e == StreamEnd.Done)} done, {ends.Count(e => e == StreamEnd.Aborted)} aborted; exit after {took:0.00} s");

            Assert.All(ends, e => Assert.True(e is StreamEnd.Done or StreamEnd.Aborted, $"a stream ended {e}\n{log}"));
            Assert.Equal(0, proc.ExitCode);
            Assert.True(took < ShutdownTimeout + 10, $"exit took {took:0.0} s");
            Assert.Contains(output, l => l.StartsWith("shutdown: draining", StringComparison.Ordinal));
            var done = output.Select(l => ShutdownLine().Match(l)).Single(m => m.Success);
            Assert.Equal("0", done.Groups["device"].Value);
            Assert.Equal("0", done.Groups["host"].Value);
            Assert.True(int.Parse(done.Groups["finished"].Value) + int.Parse(done.Groups["aborted"].Value) <= 32);
            Assert.Equal(ends.Count(e => e == StreamEnd.Aborted), int.Parse(done.Groups["aborted"].Value));
        }
        finally
        {
            if (!proc.HasExited) proc.Kill(entireProcessTree: true);
        }
    }

    private enum StreamEnd { Done, Aborted, Cut }

    /// <summary>One long stream; slow readers (low rates) make the tokenflow policy pause and offload some of them.</summary>
    private static async Task<StreamEnd> ReadStreamAsync(HttpClient http, int i, CountdownEvent started)
    {
        // Half are short (they drain within the timeout), half long (aborted at it); a quarter read slowly.
        var rate = i % 4 == 0 ? 2 : 50;
        var max = i % 2 == 0 ? 480 : 40;
        var body = $$"""{"prompt":"Once upon a time","max_tokens":{{max}},"ignore_eos":true,"stream":true,"consumption_rate":{{rate}}}""";
        var counted = false;
        try
        {
            using var response = await http.SendAsync(Sse.Post("v1/completions", body), HttpCompletionOption.ResponseHeadersRead);
            if (!response.IsSuccessStatusCode) { started.Signal(); return StreamEnd.Cut; }
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            var end = StreamEnd.Cut;
            while (await reader.ReadLineAsync() is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
                if (!counted) { counted = true; started.Signal(); }
                if (line == "data: [DONE]") end = StreamEnd.Done;
                else if (line.StartsWith("data: {\"error\"", StringComparison.Ordinal)) end = StreamEnd.Aborted;
            }
            return end;
        }
        catch (HttpRequestException) { return StreamEnd.Cut; }
        catch (IOException) { return StreamEnd.Cut; }
        finally { if (!counted) started.Signal(); }
    }

    private static string CliPath([System.Runtime.CompilerServices.CallerFilePath] string file = "")
    {
        // The CLI is built with this project (a build-order reference); use the same configuration's output.
        var config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
        var root = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", ".."));
        var path = Path.Combine(root, "src", "TokenFlow.Cli", "bin", config, "net10.0", "tokenflow.dll");
        Assert.True(File.Exists(path), $"the CLI is not built at {path}");
        return path;
    }

    [GeneratedRegex(@"listening on (http://\S+?)\s")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"shutdown complete in \S+ s: (?<finished>\d+) streams finished, (?<aborted>\d+) aborted; KV blocks in use: (?<device>\d+) device, (?<host>\d+) host")]
    private static partial Regex ShutdownLine();
}
