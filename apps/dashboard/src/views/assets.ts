/* Served by the dashboard itself (no CDN): the stylesheet and the one script, which asks before deleting. */

export const DashboardCss = `
:root { --fg: #1d232a; --muted: #66707a; --line: #dfe3e8; --bg: #f6f7f9; --ok: #1f8a4c; --bad: #c0392b; --accent: #2459a8; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: #1d2b3a; color: #fff; }
header .brand { font-weight: 700; }
header nav { display: flex; gap: 4px; flex: 1; }
header nav a { color: #cfd8e3; text-decoration: none; padding: 6px 10px; border-radius: 4px; }
header nav a.active, header nav a:hover { background: #2f4256; color: #fff; }
header .logout { display: flex; gap: 8px; align-items: center; color: #cfd8e3; }
main { padding: 16px 24px 48px; max-width: 1400px; }
h1 { font-size: 22px; margin: 4px 0 16px; }
h2 { font-size: 16px; margin: 24px 0 8px; }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { background: #eef1f4; font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
tr.job td { background: #fafbfc; font-size: 13px; }
td.empty { color: var(--muted); text-align: center; padding: 18px; }
code { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { margin: 0; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; white-space: pre-wrap; word-break: break-all; }
pre.payload { max-width: 520px; max-height: 220px; overflow: auto; background: #f3f5f7; padding: 6px; border-radius: 4px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; }
.card a { color: inherit; text-decoration: none; }
.card b { display: block; font-size: 24px; }
.card span { color: var(--muted); }
.card.failed b { color: var(--bad); }
.chart { width: 100%; max-width: 900px; height: auto; background: #fff; border: 1px solid var(--line); border-radius: 6px; }
.chart polyline { fill: none; stroke-width: 2; }
.chart polyline.processed, .legend.processed { stroke: var(--ok); color: var(--ok); }
.chart polyline.failed, .legend.failed { stroke: var(--bad); color: var(--bad); }
.chart .grid { stroke: #eceff2; }
.chart .axis { font-size: 10px; fill: var(--muted); }
.flash { padding: 8px 12px; border-radius: 4px; background: #e6f4ea; border: 1px solid #b7dfc4; }
.flash.error { background: #fdecea; border-color: #f5c2bd; }
.error { color: var(--bad); }
.warn { color: #b26a00; font-weight: 600; }
.actions { white-space: nowrap; }
.actions form, .bulk form { display: inline-block; margin: 0 4px 4px 0; }
.bulk { margin: 8px 0; }
button { font: inherit; padding: 4px 10px; border-radius: 4px; border: 1px solid #b8c2cc; background: #fff; cursor: pointer; }
button:hover { border-color: var(--accent); color: var(--accent); }
button.danger:hover { border-color: var(--bad); color: var(--bad); }
.filter { display: flex; gap: 8px; align-items: end; margin-bottom: 8px; }
input { font: inherit; padding: 5px 8px; border: 1px solid #b8c2cc; border-radius: 4px; min-width: 280px; }
.login { display: grid; gap: 12px; max-width: 340px; background: #fff; padding: 20px; border: 1px solid var(--line); border-radius: 6px; }
.login label { display: grid; gap: 4px; }
.login input { min-width: 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; background: #fff; border: 1px solid var(--line); padding: 12px 16px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
`;

export const DashboardJs = `
document.addEventListener('submit', function (event) {
  var form = event.target;
  var question = form && form.getAttribute && form.getAttribute('data-confirm');
  if (question && !window.confirm(question)) event.preventDefault();
});
`;
