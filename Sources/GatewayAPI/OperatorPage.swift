/// The operator page served at `/ui`: one self-contained document (no external assets) that
/// polls `/ui/state` for replicas, queues and recent requests, and draws the waterfall of one
/// request's trace from `/v1/traces/{id}` (the `request` query parameter, or a click).
enum OperatorPage {
    static let html = #"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Switchyard</title>
        <style>
        body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#1d2330;background:#f6f7f9}
        h1{font-size:18px;margin:0 0 12px}h2{font-size:14px;margin:18px 0 6px}
        table{border-collapse:collapse;background:#fff;min-width:420px}
        td,th{border:1px solid #d8dce3;padding:3px 8px;text-align:left;font-variant-numeric:tabular-nums}
        tr.req{cursor:pointer}tr.req:hover{background:#eef3ff}
        #waterfall{background:#fff;border:1px solid #d8dce3;padding:8px;min-height:40px;width:900px}
        .row{display:flex;align-items:center;height:20px}
        .label{width:220px;overflow:hidden;white-space:nowrap;text-overflow:ellipsis}
        .track{position:relative;flex:1;height:14px;background:#f0f2f5}
        .bar{position:absolute;height:14px;min-width:2px;background:#3b6fd8}
        .bar.queue{background:#d89b3b}.bar.prefill{background:#7a3bd8}.bar.decode{background:#2e9e5b}
        .bar.stream{background:#888}.bar.routing{background:#c44}
        .ms{width:90px;text-align:right}
        .bar-hbm{height:10px;background:#3b6fd8}
        </style></head><body>
        <h1>Switchyard operator</h1>
        <h2>Devices</h2>
        <table id="devices"><thead><tr><th>device</th><th>HBM used</th><th>capacity</th><th></th></tr></thead><tbody></tbody></table>
        <h2>Replicas and queues</h2>
        <table id="replicas"><thead><tr><th>replica</th><th>running</th><th>waiting</th><th>KV used</th><th>prefix hit</th><th>batch</th><th>steps</th><th>tokens</th></tr></thead><tbody></tbody></table>
        <h2>Recent requests</h2>
        <table id="recent"><thead><tr><th>request</th><th>model</th><th>status</th><th>ms</th><th>TTFT ms</th><th>tokens</th></tr></thead><tbody></tbody></table>
        <h2>Trace <span id="trace-id"></span></h2>
        <div id="waterfall" data-spans="0">Pick a request.</div>
        <script>
        "use strict";
        const cell = (text) => { const td = document.createElement("td"); td.textContent = text; return td; };
        const fixed = (v) => (v === undefined || v === null) ? "" : Number(v).toFixed(1);
        async function refresh() {
          const state = await (await fetch("/ui/state")).json();
          const gib = (b) => (b / 2 ** 30).toFixed(1) + " GiB";
          const devices = document.querySelector("#devices tbody");
          devices.replaceChildren(...state.devices.map((d) => {
            const tr = document.createElement("tr");
            [d.device, gib(d.hbm_used_bytes), gib(d.hbm_capacity_bytes)].forEach((v) => tr.appendChild(cell(v)));
            const meter = document.createElement("td");
            const bar = document.createElement("div"); bar.className = "bar-hbm";
            bar.style.width = (100 * d.hbm_used_bytes / Math.max(1, d.hbm_capacity_bytes)) + "px";
            meter.appendChild(bar); tr.appendChild(meter);
            return tr;
          }));
          const replicas = document.querySelector("#replicas tbody");
          replicas.replaceChildren(...state.replicas.map((r) => {
            const tr = document.createElement("tr");
            const kv = r.total_blocks ? (100 * r.used_blocks / r.total_blocks).toFixed(1) + "%" : "";
            [r.replica, r.running, r.waiting, kv, (100 * r.prefix_cache_hit_rate).toFixed(1) + "%", r.running, r.steps, r.generated_tokens]
              .forEach((v) => tr.appendChild(cell(v)));
            return tr;
          }));
          const recent = document.querySelector("#recent tbody");
          recent.replaceChildren(...state.recent.map((q) => {
            const tr = document.createElement("tr");
            tr.className = "req";
            [q.request_id, q.model || "", q.status, fixed(q.duration_ms), fixed(q.ttft_ms), q.completion_tokens]
              .forEach((v) => tr.appendChild(cell(v)));
            tr.onclick = () => showTrace(q.request_id);
            return tr;
          }));
        }
        async function showTrace(id) {
          const response = await fetch("/v1/traces/" + encodeURIComponent(id));
          const box = document.getElementById("waterfall");
          if (!response.ok) { box.textContent = "No trace for " + id; box.dataset.spans = "0"; return; }
          const trace = await response.json();
          document.getElementById("trace-id").textContent = trace.request.trace_id + " (" + trace.request.request_id + ")";
          const spans = trace.spans;
          const start = Math.min(...spans.map((s) => s.start_time_unix_nano));
          const end = Math.max(...spans.map((s) => s.end_time_unix_nano));
          const total = Math.max(1, end - start);
          box.replaceChildren(...spans.map((s) => {
            const row = document.createElement("div"); row.className = "row";
            const label = document.createElement("div"); label.className = "label";
            label.textContent = (s.parent_span_id && s.span_id !== spans[0].span_id ? "\u2003" : "") + s.name;
            const track = document.createElement("div"); track.className = "track";
            const bar = document.createElement("div"); bar.className = "bar " + s.name.split(" ")[0];
            bar.style.left = (100 * (s.start_time_unix_nano - start) / total) + "%";
            bar.style.width = (100 * (s.end_time_unix_nano - s.start_time_unix_nano) / total) + "%";
            bar.title = JSON.stringify(s.attributes);
            track.appendChild(bar);
            const ms = document.createElement("div"); ms.className = "ms";
            ms.textContent = ((s.end_time_unix_nano - s.start_time_unix_nano) / 1e6).toFixed(2) + " ms";
            row.append(label, track, ms);
            return row;
          }));
          box.dataset.spans = String(spans.length);
        }
        const wanted = new URLSearchParams(location.search).get("request");
        refresh().then(() => wanted && showTrace(wanted));
        setInterval(refresh, 2000);
        </script></body></html>
        """#
}
