/**
 * The report's stylesheet, inlined into every report: dark text on a light
 * page, system fonts, styled tables, a print layout.
 *
 * @module
 */

/** CSS of the HTML report. */
export const REPORT_CSS = `
:root { color-scheme: light; --fg: #1d2127; --muted: #5b6470; --rule: #d8dde3;
  --bg: #ffffff; --panel: #f5f7f9; --accent: #1f5fa8; --err: #a3222d; }
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--fg); }
body { margin: 0 auto; max-width: 60rem; padding: 2rem 1.5rem 4rem;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
h1, h2, h3, h4, h5, h6 { line-height: 1.25; margin: 1.6em 0 0.5em; }
h1 { font-size: 1.9rem; margin-top: 0; }
h2 { font-size: 1.45rem; border-bottom: 1px solid var(--rule); padding-bottom: 0.2em; }
h3 { font-size: 1.2rem; }
a { color: var(--accent); }
code, pre, .math { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.88em; }
pre { background: var(--panel); border: 1px solid var(--rule); border-radius: 4px;
  padding: 0.6em 0.8em; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
table { border-collapse: collapse; margin: 1em 0; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--rule); padding: 0.3em 0.75em; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid var(--fg); }
tbody tr:nth-child(even) { background: var(--panel); }
td.num, th.num { text-align: right; white-space: nowrap; }
caption { caption-side: top; text-align: left; color: var(--muted); font-size: 0.9em; padding-bottom: 0.3em; }
.table-scroll { max-width: 100%; overflow-x: auto; margin: 1em 0; }
.table-scroll > table { margin: 0; }
img { max-width: 100%; height: auto; }
.output svg { max-width: 100%; height: auto; }
figure { margin: 1em 0; min-width: 0; }
figcaption { font-size: 0.9em; color: var(--muted); margin-bottom: 0.3em; }
.panels { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 15rem), 1fr));
  gap: 0.8rem 1.2rem; margin: 0.8em 0; }
.panels > .panel { margin: 0; }
.legend { margin: 0.4em 0; font-size: 0.9em; }
figure.heatmap svg { display: block; }
.panels.wide { grid-template-columns: repeat(auto-fill, minmax(min(100%, 34rem), 1fr)); }
.scatter { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 0.4rem 1.2rem; }
.scatter > figcaption { flex: 1 0 100%; }
.scatter > svg { flex: 0 1 20rem; }
.scatter > .table-scroll { flex: 1 1 14rem; margin: 0; }
.scatter-key { font-size: 0.85em; }
.scatter-key td, .scatter-key th { padding: 0.1em 0.5em; }
blockquote { margin: 1em 0; padding-left: 1em; border-left: 3px solid var(--rule); color: var(--muted); }
.provenance { display: grid; grid-template-columns: max-content 1fr; gap: 0.15em 1.2em; margin: 1em 0; }
.provenance dt { color: var(--muted); }
.provenance dd { margin: 0; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.9em; word-break: break-all; }
.notes { color: var(--muted); }
nav.toc ol { list-style: none; padding-left: 0; margin: 0; }
nav.toc li.toc-notebook { margin-top: 0.4em; font-weight: 600; }
nav.toc li.toc-h1 { padding-left: 1.2em; } nav.toc li.toc-h2 { padding-left: 2.2em; }
nav.toc li.toc-h3, nav.toc li.toc-h4, nav.toc li.toc-h5, nav.toc li.toc-h6 { padding-left: 3.2em; font-size: 0.92em; }
article.notebook { margin-top: 3rem; }
.nb-path { color: var(--muted); font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.85em; }
.cell { margin: 0.8em 0; }
details.source summary { cursor: pointer; color: var(--muted); font-size: 0.85em; }
details.source summary code { color: var(--fg); }
.prompt { font-family: ui-monospace, Menlo, Consolas, monospace; }
.time { float: right; }
.outputs { margin: 0.4em 0 0 0; }
.output { margin: 0.4em 0; }
pre.output { background: transparent; border: none; border-left: 3px solid var(--rule); border-radius: 0; }
pre.stderr { border-left-color: #c9a227; }
pre.error { border-left-color: var(--err); color: var(--err); background: #fbf0f1; }
pre.untrusted { border-left-style: dashed; }
.status-error { color: var(--err); font-weight: 600; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  nav.toc { page-break-after: always; }
  article.notebook { page-break-before: always; margin-top: 0; }
  a { color: inherit; text-decoration: none; }
  pre, .output, figure, table, svg { page-break-inside: avoid; }
  .table-scroll { overflow-x: visible; }
  details.source summary { list-style: none; }
  details::details-content { content-visibility: visible; display: contents; }
}
`;
