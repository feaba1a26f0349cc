/// The IP Security Monitor page: empty tables and plot canvases that `console.js` fills from
/// `/api/monitor` (refreshed by the `/api/events` stream) and `/api/history`.
public enum MonitorPage {
    public static func body() -> String {
        """
        <p class="status">Snapshot <span id="taken-at">—</span> · policy: <span id="policy">—</span> · datapath: <span id="datapath">—</span> · <span id="live">connecting…</span></p>
        <section class="plots">
        <figure><figcaption>Bytes per second (all SAs)</figcaption><canvas id="plot-bytes"></canvas></figure>
        <figure><figcaption>Packets per second (ESP/AH)</figcaption><canvas id="plot-packets"></canvas></figure>
        <figure><figcaption>Bytes per second per SA pair</figcaption><canvas id="plot-sa"></canvas></figure>
        <figure><figcaption>Packets per second per SA pair</figcaption><canvas id="plot-sa-packets"></canvas></figure>
        <figure><figcaption>Negotiations and failures per minute</figcaption><canvas id="plot-negotiations"></canvas></figure>
        <figure><figcaption>Drops per minute, by reason</figcaption><canvas id="plot-drops"></canvas></figure>
        </section>
        <p id="plots-missing" class="warning" hidden>The plots need Debian's libjs-chart.js (/usr/share/javascript/chart.js); the tables work without it.</p>
        <h2>Quick Mode SAs</h2><div id="qmsas"></div>
        <h2>Main Mode SAs</h2><div id="mmsas"></div>
        <div class="statistics">
        <div><h2>IKE Main Mode Statistics</h2><div id="ike-statistics"></div></div>
        <div><h2>IPSec Quick Mode Statistics</h2><div id="ipsec-statistics"></div></div>
        <div><h2>Ward datapath</h2><div id="datapath-counters"></div></div>
        </div>
        """
    }
}
