/// The console's stylesheet and script, served from memory (`/static/…`); Chart.js comes from
/// Debian's libjs-chart.js on disk (`chartScriptPath`). The page fetches nothing from anywhere
/// else.
public enum ConsoleAssets {
    public static let chartScriptPath = "/usr/share/javascript/chart.js/chart.min.js"

    public static let stylesheet = """
    body { font-family: system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #f6f7f9; }
    header { background: #123; color: #fff; padding: .6em 1em; display: flex; gap: 2em; align-items: center; }
    header h1 { font-size: 1.1em; margin: 0; }
    nav a { color: #cde; margin-right: 1.2em; text-decoration: none; }
    nav a.current { color: #fff; font-weight: bold; border-bottom: 2px solid #6af; }
    .role { margin-left: auto; background: #345; padding: .2em .6em; border-radius: 4px; font-size: .85em; }
    main { padding: 1em; }
    h2 { font-size: 1.05em; margin: 1.2em 0 .4em; }
    table { border-collapse: collapse; background: #fff; font-size: .85em; margin-bottom: .8em; }
    th, td { border: 1px solid #ccd; padding: .25em .5em; text-align: left; vertical-align: top; }
    th { background: #e8ecf2; }
    .plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 1em; }
    figure { background: #fff; margin: 0; padding: .5em; border: 1px solid #ccd; height: 240px; }
    figcaption { font-size: .85em; font-weight: bold; }
    canvas { max-height: 210px; }
    .statistics { display: flex; gap: 1.5em; flex-wrap: wrap; }
    .warning { color: #a00; } .message { background: #eef6ee; border: 1px solid #9c9; padding: .4em; }
    form.inline { display: inline; } form.trace label { display: inline-block; margin: .2em 1em .2em 0; }
    pre { background: #fff; border: 1px solid #ccd; padding: .6em; overflow-x: auto; }
    """

    public static let script = """
    "use strict";
    (function () {
      if (document.body.dataset.section !== "monitor") return;
      const esc = (t) => String(t).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\\"": "&quot;", "'": "&#39;"}[c]));
      function table(id, header, rows) {
        const body = rows.length === 0 ? `<tr><td colspan="${header.length}">No SAs</td></tr>`
          : rows.map((r) => "<tr>" + r.map((c) => `<td>${esc(c)}</td>`).join("") + "</tr>").join("");
        document.getElementById(id).innerHTML = `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${body}</tbody></table>`;
      }
      function statistics(id, list) {
        document.getElementById(id).innerHTML = "<table><tbody>" + list.map((s) => `<tr><th>${esc(s.name)}</th><td data-statistic="${esc(s.name)}">${s.value}</td></tr>`).join("") + "</tbody></table>";
      }
      function render(view) {
        window.wardMonitor = view;
        document.getElementById("taken-at").textContent = view.takenAt;
        document.getElementById("policy").textContent = view.policy;
        document.getElementById("datapath").textContent = view.datapath;
        table("qmsas", ["Peer", "Source", "Destination", "Protocol", "Rule", "Mode", "Offer", "Inbound SPI", "Outbound SPI", "Encapsulation",
                        "Age (s)", "Packets Sent", "Packets Received", "Bytes Sent", "Bytes Received"],
              view.quickModeSAs.map((s) => [s.peer, s.source, s.destination, s.protocolNumber, s.rule, s.mode, s.offer, s.inboundSPI, s.outboundSPI,
                                            s.encapsulation, s.ageSeconds, s.packetsSent, s.packetsReceived, s.bytesSent, s.bytesReceived]));
        table("mmsas", ["Me", "Peer", "Peer Identity", "Authentication", "Security Method", "Cookie Pair", "Role", "State", "NAT Traversal"],
              view.mainModeSAs.map((s) => [s.local, s.peer, s.peerIdentity, s.authentication + (s.peerPrincipal ? ` (${s.peerPrincipal})` : "")
                                           + (s.peerRootCA ? ` (root ${s.peerRootCA})` : ""), s.securityMethod, s.cookies, s.role, s.state, s.natTraversal]));
        statistics("ike-statistics", view.ikeStatistics);
        statistics("ipsec-statistics", view.ipsecStatistics);
        statistics("datapath-counters", view.datapathCounters);
      }
      const charts = {};
      const colours = ["#2a6fdb", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#0b7285", "#c2255c", "#5c940d", "#364fc7", "#868e96"];
      function chart(id, type, stacked) {
        if (charts[id] || typeof Chart === "undefined") return charts[id];
        charts[id] = new Chart(document.getElementById(id), {type: type, data: {labels: [], datasets: []},
          options: {animation: false, responsive: true, maintainAspectRatio: false,
                    scales: {x: {stacked: !!stacked, title: {display: true, text: type === "bar" ? "minute of uptime" : "seconds of uptime"}},
                             y: {stacked: !!stacked, beginAtZero: true}}}});
        return charts[id];
      }
      function plot(id, type, labels, series, stacked) {
        const c = chart(id, type, stacked);
        if (!c) return;
        c.data.labels = labels;
        c.data.datasets = series.map((s, i) => ({label: s.label, data: s.data, borderColor: colours[i % colours.length],
                                                 backgroundColor: colours[i % colours.length], pointRadius: 0, borderWidth: 1.5}));
        c.update();
      }
      async function history() {
        const response = await fetch("/api/history", {credentials: "same-origin"});
        if (!response.ok) return;
        const h = await response.json();
        window.wardHistory = h;
        if (typeof Chart === "undefined") { document.getElementById("plots-missing").hidden = false; return; }
        const seconds = h.seconds.map((s) => Math.round(s));
        plot("plot-bytes", "line", seconds, [{label: "sent", data: h.bytesSentPerSecond}, {label: "received", data: h.bytesReceivedPerSecond}]);
        plot("plot-packets", "line", seconds, [{label: "sent", data: h.packetsSentPerSecond}, {label: "received", data: h.packetsReceivedPerSecond}]);
        const saSeconds = [...new Set(h.saSeries.flatMap((s) => s.seconds.map((x) => Math.round(x))))].sort((a, b) => a - b);
        const perSA = (field) => h.saSeries.map((s) => {
          const bySecond = new Map(s.seconds.map((x, i) => [Math.round(x), s[field][i]]));
          return {label: s.label, data: saSeconds.map((x) => bySecond.has(x) ? bySecond.get(x) : null)};
        });
        plot("plot-sa", "line", saSeconds, perSA("bytesPerSecond"));
        plot("plot-sa-packets", "line", saSeconds, perSA("packetsPerSecond"));
        const minutes = h.minutes.map((m) => Math.round(m / 60));
        plot("plot-negotiations", "bar", minutes, [{label: "negotiated", data: h.negotiationsPerMinute}, {label: "failed", data: h.failuresPerMinute}]);
        plot("plot-drops", "bar", minutes, Object.keys(h.dropsPerMinute).sort().map((r) => ({label: r, data: h.dropsPerMinute[r]})), true);
      }
      fetch("/api/monitor", {credentials: "same-origin"}).then((r) => r.ok ? r.json() : null).then((v) => v && render(v));
      const events = new EventSource("/api/events");
      events.onmessage = (e) => { document.getElementById("live").textContent = "live"; render(JSON.parse(e.data)); };
      events.onerror = () => { document.getElementById("live").textContent = "reconnecting…"; };
      history();
      setInterval(history, 2000);
    })();
    """
}
