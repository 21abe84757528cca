import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as Plot from "@observablehq/plot";
import type { ICodeCell, INotebookContent } from "@jupyterlab/nbformat";
import { parseHTML } from "linkedom";
import { OptionError } from "../lib/errors.ts";
import { NotebookFormatError, readNotebook, validateNotebook } from "../lib/notebook/mod.ts";
import { repoRoot } from "../lib/paths.ts";
import {
  buildReport,
  collectHeader,
  escapeHtml,
  findExternalReferences,
  gitCommit,
  isOwnNotebook,
  JUPYTER_DISPLAY,
  NotebookFailedError,
  plot,
  type ReportHeader,
  stripAnsi,
  UnsafeContentError,
} from "../lib/report/mod.ts";
import { renderMarkdown } from "../lib/report/markdown.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures/report/", import.meta.url));

const HEADER: ReportHeader = {
  date: "2026-11-25T20:00:00.000Z",
  commit: "0123456789abcdef0123456789abcdef01234567",
  denoVersion: "2.9.6",
  tfjsVersion: "4.22.0",
  backend: "wasm",
  adapter: "llvmpipe (LLVM 15.0.6, 256 bits)",
  dataDir: "/srv/emargin-data",
  profile: "quick",
  notes: ["seeds 1-3 <quick>"],
};

interface Doc {
  querySelector(s: string): El | null;
  querySelectorAll(s: string): ArrayLike<El> & Iterable<El>;
}
interface El extends Doc {
  localName: string;
  textContent: string | null;
  children: El[];
  attributes: { name: string; value: string }[];
  getAttribute(name: string): string | null;
}

/** `querySelectorAll` as a plain array (linkedom's NodeList maps to a NodeList). */
function all(root: Doc, selectors: string): El[] {
  return Array.from(root.querySelectorAll(selectors));
}

function parse(html: string): Doc {
  return (parseHTML(html) as unknown as { document: Doc }).document;
}

/** A notebook with a live chart from {@linkcode plot} appended. */
async function executedWithChart(): Promise<INotebookContent> {
  const notebook = await readNotebook(join(FIXTURES, "executed.ipynb"));
  const chart = plot({ marks: [Plot.lineY([3, 1, 4, 1, 5, 9, 2, 6])] });
  const cell: ICodeCell = {
    cell_type: "code",
    execution_count: 6,
    metadata: {},
    source: "plot({ marks: [Plot.lineY(values)] })",
    outputs: [{
      output_type: "display_data",
      metadata: {},
      data: chart[JUPYTER_DISPLAY](),
    }],
  };
  notebook.cells.push(cell);
  return notebook;
}

/**
 * Every URL the document would load (written independently of
 * `findExternalReferences`): any `src`/`srcset`/`poster`/`data`, `href` on
 * anything but `<a>`, CSS `url()` and `@import`, plus `<link>`, `<script>`,
 * frames and plugins. Inline `data:` and `#fragment` references are fine.
 */
function loadedResources(document: Doc): string[] {
  const bad: string[] = [];
  for (const tag of ["script", "link", "iframe", "frame", "object", "embed", "base"]) {
    for (const _ of all(document, tag)) bad.push(`<${tag}>`);
  }
  const inline = (url: string) => /^\s*(data:|#)/i.test(url);
  for (const el of all(document, "*")) {
    for (const { name, value } of Array.from(el.attributes)) {
      const n = name.toLowerCase();
      if (["src", "poster", "data", "background"].includes(n) && !inline(value)) {
        bad.push(`${el.localName}[${n}=${value}]`);
      }
      if (n === "srcset" && value.split(",").some((c) => !inline(c.trim()))) bad.push(`srcset`);
      if ((n === "href" || n === "xlink:href") && el.localName !== "a" && !inline(value)) {
        bad.push(`${el.localName}[${n}=${value}]`);
      }
      if (n.startsWith("on")) bad.push(`${el.localName}[${n}]`);
    }
  }
  for (const style of all(document, "style")) {
    const css = style.textContent ?? "";
    for (const m of css.matchAll(/url\(\s*['"]?([^'")]*)/gi)) if (!inline(m[1])) bad.push(m[0]);
    if (/@import|@font-face/i.test(css)) bad.push("@import/@font-face");
  }
  return bad;
}

Deno.test("buildReport: one parseable, self-contained HTML file with header, TOC and outputs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const outFile = join(dir, "reports", "index.html");
    const result = await buildReport({
      title: "eMargin <study>",
      header: HEADER,
      outFile,
      notebooks: [
        { path: "notebooks/01_losses.ipynb", notebook: await executedWithChart(), trusted: true },
        {
          path: "notebooks/02_failing.ipynb",
          notebook: await readNotebook(join(FIXTURES, "failing.ipynb")),
          seconds: 12.5,
        },
      ],
    });
    const html = await Deno.readTextFile(outFile);
    assert.equal(result.outFile, outFile);
    assert.equal(result.bytes, new TextEncoder().encode(html).length);
    assert.deepEqual(result.notebooks.map((n) => [n.path, n.errors]), [
      ["notebooks/01_losses.ipynb", 0],
      ["notebooks/02_failing.ipynb", 1],
    ]);
    assert.ok(Math.abs(result.notebooks[0].seconds! - 1.75) < 1e-9, "1.25 s + 0.5 s");
    assert.equal(result.notebooks[1].seconds, 12.5);

    const document = parse(html);
    // Self-contained: no scripts at all, nothing loaded from elsewhere.
    assert.deepEqual(loadedResources(document), []);
    assert.equal(all(document, "script").length, 0);
    assert.ok(!/\b(src|srcset|poster)=["']?(https?:)?\/\//i.test(html));
    // The dataset link stays a plain anchor; the remote image became a link.
    const links = all(document, "a[href^='https:']").map((a) => a.getAttribute("href"));
    assert.deepEqual(links.sort(), [
      "https://example.org/datasets/harth",
      "https://example.org/figure.png",
    ]);
    assert.equal(all(document, "img").length, 1);
    assert.match(document.querySelector("img")!.getAttribute("src")!, /^data:image\/png;base64,/);

    // The text output `<script>alert(1)</script>` is escaped text.
    assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
    const texts = all(document, "pre.output").map((p) => p.textContent);
    assert.ok(texts.includes("<script>alert(1)</script>"));

    // Charts: the plot() SVG with its marks, and the fixture's SVG output.
    const svgs = all(document, ".output.svg > svg");
    assert.equal(svgs.length, 2);
    const chart = svgs.find((s) => /^plot-/.test(s.getAttribute("class") ?? ""));
    assert.ok(chart, "the Plot chart is embedded");
    assert.equal(chart.getAttribute("xmlns"), "http://www.w3.org/2000/svg");
    assert.ok(all(chart, "path").length >= 1, "the line mark survived");
    assert.ok(document.querySelector("svg rect#fixture-rect"));
    assert.ok(!html.includes("<?xml"));
    assert.ok(document.querySelector(".output.html table.result"));

    // Header fields.
    const provenance = document.querySelector("dl.provenance")!.textContent!;
    for (
      const v of [
        HEADER.date,
        HEADER.commit,
        HEADER.denoVersion,
        HEADER.tfjsVersion,
        HEADER.backend,
        HEADER.adapter!,
        HEADER.dataDir,
        HEADER.profile,
      ]
    ) assert.ok(provenance.includes(v), `header shows ${v}`);
    assert.equal(document.querySelector("ul.notes li")!.textContent, "seeds 1-3 <quick>");
    assert.equal(document.querySelector("h1")!.textContent, "eMargin <study>");
    assert.equal(document.querySelector("title")!.textContent, "eMargin <study>");

    // Timings table: per notebook, with the error flagged, and the total.
    const rows = all(document, "table.timings tbody tr").map((r) => r.textContent);
    assert.deepEqual(rows, [
      "notebooks/01_losses.ipynbok1.75 s",
      "notebooks/02_failing.ipynb1 error12.5 s",
    ]);
    assert.equal(document.querySelector("table.timings tfoot")!.textContent, "Total14.3 s");

    // Table of contents: every notebook and every markdown heading, all resolving.
    const toc = all(document, "nav.toc li a");
    assert.deepEqual(toc.map((a) => a.textContent), [
      "notebooks/01_losses.ipynb",
      "Loss curves",
      "Figures",
      "notebooks/02_failing.ipynb",
      "Failing run",
    ]);
    for (const a of toc) {
      const id = a.getAttribute("href")!.slice(1);
      assert.ok(document.querySelector(`[id="${id}"]`), `anchor #${id} exists`);
    }

    // Code is collapsible; one <details> per code cell, with timing in the summary.
    const details = all(document, "details.source");
    assert.equal(details.length, 7);
    assert.ok(details.every((d) => d.querySelector("summary") && d.querySelector("pre code")));
    assert.ok(details[0].querySelector("summary")!.textContent!.includes("1.25 s"));
    assert.ok(details[0].querySelector("pre code")!.textContent!.includes("rows.length"));

    // Terminal text: ANSI codes stripped, carriage returns resolved, streams merged.
    assert.ok(!html.includes("\x1b"));
    assert.ok(texts.includes("ok 3\nepoch 3\n"));
    assert.ok(texts.includes("warning: slow backend\n"));
    assert.ok(texts.includes("TypeError: bad shape\n    at <anonymous>:1:7"));

    // Markdown: GFM table, math left as TeX text, trusted raw HTML kept.
    assert.equal(all(document, ".cell.markdown table tbody tr").length, 2);
    const math = all(document, ".math").map((m) => m.textContent);
    assert.deepEqual(math, [
      "$\\max(0, m - d_{ij})$",
      "$d_{ij} = \\|z_i - z_j\\|_2$",
      "$$\n\\mathcal{L} = \\sum_i \\ell_i\n$$",
    ]);
    assert.equal(document.querySelector(".cell.markdown b")!.textContent, "raw html");
    assert.equal(document.querySelector("pre.cell.raw")!.textContent, "raw <cell>");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("buildReport: untrusted notebooks show SVG/HTML markup as escaped text", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const outFile = join(dir, "index.html");
    const notebook = await readNotebook(join(FIXTURES, "executed.ipynb"));
    // Only markup, no fallback: the SVG source must appear as text.
    (notebook.cells[4] as ICodeCell).outputs[0].data = {
      "image/svg+xml": '<svg xmlns="http://www.w3.org/2000/svg"><rect id="fixture-rect"/></svg>',
    };
    await buildReport({
      title: "t",
      header: HEADER,
      outFile,
      notebooks: [{ path: "elsewhere/x.ipynb", notebook }],
    });
    const html = await Deno.readTextFile(outFile);
    const document = parse(html);
    assert.equal(document.querySelector("#fixture-rect"), null);
    assert.equal(document.querySelector(".cell.markdown b"), null);
    assert.equal(document.querySelector(".output.html"), null);
    const texts = all(document, "pre.output").map((p) => p.textContent);
    assert.ok(
      texts.includes('<svg xmlns="http://www.w3.org/2000/svg"><rect id="fixture-rect"/></svg>'),
    );
    assert.ok(texts.includes("DBI 0.61"), "HTML output falls back to text/plain");
    assert.ok(document.querySelector(".cell.markdown")!.textContent!.includes("<b>raw html</b>"));
    assert.ok(html.includes("untrusted"));
    // The PNG is still an image: it is inert data.
    assert.equal(all(document, "img").length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("buildReport: a failed build throws a typed error and leaves the previous report byte-identical", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const outFile = join(dir, "index.html");
    const good = await readNotebook(join(FIXTURES, "executed.ipynb"));
    const failing = await readNotebook(join(FIXTURES, "failing.ipynb"));
    await buildReport({
      title: "good",
      header: HEADER,
      outFile,
      notebooks: [{ path: "a.ipynb", notebook: good, trusted: true }],
    });
    const before = await Deno.readFile(outFile);

    const attempt = (
      notebooks: Parameters<typeof buildReport>[0]["notebooks"],
      failOnError = true,
    ) => buildReport({ title: "bad", header: HEADER, outFile, notebooks, failOnError });
    await assert.rejects(
      () => attempt([{ path: "a.ipynb", notebook: good }, { path: "b.ipynb", notebook: failing }]),
      (e: unknown) =>
        e instanceof NotebookFailedError && e.notebook === "b.ipynb" && e.cell === 1 &&
        e.ename === "TypeError" && e.message === "b.ipynb: cells[1] raised TypeError: bad shape",
    );

    const badType = structuredClone(good);
    (badType.cells[1] as ICodeCell).outputs[0].output_type = "update_display_data";
    await assert.rejects(
      () => attempt([{ path: "c.ipynb", notebook: badType }]),
      (e: unknown) =>
        e instanceof NotebookFormatError && e.file === "c.ipynb" &&
        e.problems[0] ===
          "cells[1].outputs[0].output_type: expected stream, display_data, execute_result or error",
    );
    const external = structuredClone(good);
    (external.cells[6] as ICodeCell).outputs[0].data = {
      "text/html": '<img src="https://example.org/tracker.gif">',
    };
    await assert.rejects(
      () => attempt([{ path: "d.ipynb", notebook: external, trusted: true }], false),
      (e: unknown) =>
        e instanceof UnsafeContentError && e.where === "cells[6].outputs[0] text/html" &&
        e.found[0].startsWith('img src="https://example.org'),
    );
    await assert.rejects(() => attempt([]), OptionError);
    await assert.rejects(
      () =>
        attempt([{ path: "e.ipynb", notebook: { nbformat: 3 } as unknown as INotebookContent }]),
      NotebookFormatError,
    );

    assert.deepEqual(await Deno.readFile(outFile), before);
    const left = [];
    for await (const entry of Deno.readDir(dir)) left.push(entry.name);
    assert.deepEqual(left, ["index.html"], "no temporary files left behind");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the report reads notebooks through lib/notebook: problems named by field", async () => {
  const ok = { nbformat: 4, nbformat_minor: 4, metadata: {}, cells: [] };
  assert.deepEqual(validateNotebook(ok), []);
  const code = { cell_type: "code", metadata: {}, execution_count: null, source: "" };
  const cases: [unknown, string][] = [
    [[], "notebook: expected a JSON object"],
    [{ ...ok, nbformat: 3 }, "nbformat: expected 4"],
    [{ ...ok, cells: {} }, "cells: expected a list"],
    [
      { ...ok, cells: [{ ...code, source: 1, outputs: [] }] },
      "cells[0].source: expected a string or list of strings",
    ],
    [{ ...ok, cells: [code] }, "cells[0].outputs: expected a list"],
    [
      { ...ok, cells: [{ ...code, cell_type: "heading" }] },
      "cells[0].cell_type: expected code, markdown or raw",
    ],
    [
      { ...ok, cells: [{ ...code, outputs: [{ output_type: "stream", name: "stdout" }] }] },
      'cells[0].outputs[0]: missing "text"',
    ],
    [
      {
        ...ok,
        cells: [{
          ...code,
          outputs: [{ output_type: "error", ename: "E", evalue: "v", traceback: "x" }],
        }],
      },
      "cells[0].outputs[0].traceback: expected a list of strings",
    ],
    [
      { ...ok, cells: [{ ...code, outputs: [{ output_type: "display_data", metadata: {} }] }] },
      'cells[0].outputs[0]: missing "data"',
    ],
  ];
  const dir = await Deno.makeTempDir();
  try {
    for (const [value, problem] of cases) {
      assert.deepEqual(validateNotebook(value), [problem]);
      await assert.rejects(
        () =>
          buildReport({
            title: "t",
            header: HEADER,
            outFile: join(dir, "never.html"),
            notebooks: [{ path: "x.ipynb", notebook: value as INotebookContent }],
          }),
        (e: unknown) =>
          e instanceof NotebookFormatError && e.file === "x.ipynb" && e.problems[0] === problem,
        problem,
      );
    }
    await Deno.writeTextFile(join(dir, "broken.ipynb"), "{ not json");
    await assert.rejects(
      () => readNotebook(join(dir, "broken.ipynb")),
      (e: unknown) => e instanceof NotebookFormatError && e.problems[0].startsWith("not JSON"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stripAnsi / escapeHtml: colours, cursor moves and OSC links removed; markup escaped", () => {
  assert.equal(stripAnsi("\x1b[1;31mred\x1b[0m \x1b[2K\x1b[1Gline"), "red line");
  assert.equal(stripAnsi("\x1b]8;;https://x.org\x07link\x1b]8;;\x07"), "link");
  assert.equal(stripAnsi("\x1b]0;title\x1b\\a\x1bMb\x9b32mc"), "abc");
  assert.equal(stripAnsi("plain [1m text"), "plain [1m text");
  assert.equal(
    escapeHtml(`<a href="x">'&'</a>`),
    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
  );
});

Deno.test("findExternalReferences: flags loads and scripts, allows data:, #fragments and <a href>", () => {
  const flagged = [
    "<script>1</script>",
    '<link rel="stylesheet" href="https://cdn.example.org/x.css">',
    '<img src="https://example.org/a.png">',
    '<img srcset="data:image/png;base64,AA 1x, https://x.org/b.png 2x">',
    '<svg><image href="http://x.org/i.png"/></svg>',
    '<svg><use xlink:href="other.svg#a"/></svg>',
    '<div style="background: url(https://x.org/bg.png)"></div>',
    "<style>@import 'https://fonts.example.org/css';</style>",
    '<iframe srcdoc="x"></iframe>',
    '<p onclick="alert(1)">x</p>',
    '<a href="javascript:alert(1)">x</a>',
    '<video poster="/p.png"></video>',
  ];
  for (const html of flagged) assert.equal(findExternalReferences(html).length, 1, html);
  const allowed = [
    '<img src="data:image/png;base64,AAAA">',
    '<a href="https://example.org/dataset">dataset</a>',
    '<a href="#nb1">x</a>',
    '<svg><use href="#glyph"/><image href="data:image/svg+xml;base64,AA"/></svg>',
    "<style>.a { fill: url(#grad); }</style>",
  ];
  for (const html of allowed) assert.deepEqual(findExternalReferences(html), [], html);
});

Deno.test("gitCommit / collectHeader / isOwnNotebook", async () => {
  const commit = await gitCommit(repoRoot);
  assert.match(commit, /^[0-9a-f]{40}( with uncommitted changes)?$/);
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(await gitCommit(dir), "unknown");
    const git = (...args: string[]) =>
      new Deno.Command("git", {
        args: ["-c", "user.name=t", "-c", "user.email=t@t", ...args],
        cwd: dir,
        stdout: "null",
        stderr: "null",
      }).output();
    await git("init", "-q");
    await Deno.writeTextFile(join(dir, "a.txt"), "1");
    await git("add", "a.txt");
    await git("commit", "-q", "-m", "a");
    const clean = await gitCommit(dir);
    assert.match(clean, /^[0-9a-f]{40}$/);
    await Deno.writeTextFile(join(dir, "a.txt"), "2");
    assert.equal(await gitCommit(dir), `${clean} with uncommitted changes`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const header = await collectHeader({
    backend: "cpu",
    profile: "quick",
    dataDir: "/data",
    date: new Date("2026-01-02T03:04:05Z"),
  });
  assert.equal(header.date, "2026-01-02T03:04:05.000Z");
  assert.equal(header.commit, commit);
  assert.equal(header.denoVersion, Deno.version.deno);
  assert.match(header.tfjsVersion, /^\d+\.\d+\.\d+/);
  assert.equal(header.adapter, null);
  assert.deepEqual([header.backend, header.dataDir, header.profile], ["cpu", "/data", "quick"]);

  assert.equal(isOwnNotebook("notebooks/01_data.ipynb"), true);
  assert.equal(isOwnNotebook(join(repoRoot, "notebooks", "sub", "x.ipynb")), true);
  assert.equal(isOwnNotebook("tests/fixtures/report/executed.ipynb"), false);
  assert.equal(isOwnNotebook("notebooks/../x.ipynb"), false);
  assert.equal(isOwnNotebook("/tmp/notebooks/x.ipynb"), false);
});

Deno.test("renderMarkdown: heading ids, attachments, link schemes, math and raw HTML", () => {
  const used = new Set<string>();
  const { html, headings } = renderMarkdown(
    [
      "# A *b* `c`",
      "# A *b* `c`",
      "![png](attachment:i.png) ![svg](attachment:s.svg) ![gone](attachment:none.png)",
      "[js](javascript:alert(1)) [nb](other.ipynb) [ok](https://example.org/d)",
      "Costs $5 and $6; margin $m = 5$.",
      '<img src=x onerror="alert(1)">',
    ].join("\n\n"),
    {
      trusted: false,
      idPrefix: "nb1",
      usedIds: used,
      attachments: {
        "i.png": { "image/png": "iVBO\nRw==" },
        "s.svg": { "image/svg+xml": ["<svg xmlns='http://www.w3.org/2000/svg'>", "é</svg>"] },
      },
    },
  );
  assert.deepEqual(headings.map((h) => [h.depth, h.id, h.text]), [
    [1, "nb1-a-b-c", "A b c"],
    [1, "nb1-a-b-c-2", "A b c"],
  ]);
  assert.deepEqual([...used], ["nb1-a-b-c", "nb1-a-b-c-2"]);
  const document = parse(html);
  const srcs = all(document, "img").map((img) => img.getAttribute("src")!);
  assert.equal(srcs.length, 2);
  assert.equal(srcs[0], "data:image/png;base64,iVBORw==");
  const svg = new TextDecoder().decode(
    Uint8Array.from(atob(srcs[1].split(",")[1]), (c) => c.charCodeAt(0)),
  );
  assert.equal(svg, "<svg xmlns='http://www.w3.org/2000/svg'>é</svg>");
  assert.ok(document.querySelector(".missing-image")!.textContent!.includes("gone"));
  assert.deepEqual(all(document, "a").map((a) => a.getAttribute("href")), [
    "https://example.org/d",
  ]);
  assert.deepEqual(all(document, "span.link").map((s) => s.textContent), ["js", "nb"]);
  assert.deepEqual(all(document, ".math").map((m) => m.textContent), ["$m = 5$"]);
  assert.ok(html.includes("Costs $5 and $6;"));
  assert.equal(all(document, "img[onerror]").length, 0);
  assert.deepEqual(findExternalReferences(html), []);
});

Deno.test("renderMarkdown: block and inline TeX kept verbatim and escaped, exact HTML", () => {
  const src = "$$\nx < 1 \\& y\n$$\n\ntext $a_1$ here";
  assert.equal(
    renderMarkdown(src, { trusted: false, idPrefix: "p" }).html,
    '<div class="math">$$\nx &lt; 1 \\&amp; y\n$$</div>\n<p>text <span class="math">$a_1$</span> here</p>\n',
  );
});
