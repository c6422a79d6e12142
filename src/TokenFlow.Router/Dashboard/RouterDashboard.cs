using System.Globalization;
using System.Net;
using System.Text;
using TokenFlow.Router.Health;

namespace TokenFlow.Router.Dashboard;

/// <summary>GET / on the router: a self-refreshing page listing each replica with its health, load and a link to its own dashboard.</summary>
public static class RouterDashboard
{
    public static string Render(IReadOnlyList<ReplicaEndpoint> replicas, string policy)
    {
        var sb = new StringBuilder();
        sb.Append("<!doctype html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"1\"><title>TokenFlow router</title>")
          .Append("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td.l{text-align:left}.bad{color:#b00}</style></head><body>")
          .Append("<h1>TokenFlow router</h1><p>policy: <b>").Append(WebUtility.HtmlEncode(policy)).Append("</b> · <a href=\"/metrics\">metrics</a></p>")
          .Append("<table><tr><th>replica</th><th>health</th><th>open</th><th>Σr / Γ (tok/s)</th><th>waiting</th><th>running</th><th>paused</th><th>device free</th><th>host free</th><th>min slack (s)</th><th>prefill backlog</th></tr>");
        foreach (var r in replicas)
        {
            var v = r.Tracker.View();
            var url = WebUtility.HtmlEncode(r.Url);
            sb.Append("<tr><td class=\"l\"><a href=\"").Append(url).Append("/\">").Append(url).Append("</a></td><td class=\"l").Append(v.Healthy ? "\">healthy" : " bad\">unhealthy").Append("</td><td>").Append(v.Open).Append("</td>");
            if (v.Report is { } l)
                sb.Append(CultureInfo.InvariantCulture, $"<td>{l.SumRate:0} / {l.Capacity:0}</td><td>{l.Waiting}</td><td>{l.Running}</td><td>{l.Paused}</td><td>{l.DeviceFreeBlocks}/{l.DeviceTotalBlocks}</td><td>{l.HostFreeBlocks}/{l.HostTotalBlocks}</td><td>{(l.MinSlack is { } s ? s.ToString("0.0", CultureInfo.InvariantCulture) : "–")}</td><td>{l.PrefillBacklogTokens}</td>");
            else sb.Append("<td colspan=\"8\" class=\"l\">no load report yet</td>");
            sb.Append("</tr>");
        }
        return sb.Append("</table></body></html>").ToString();
    }
}
