import assert from "node:assert/strict";
import type { INotebookContent } from "@jupyterlab/nbformat";
import { isFrontPage, renderReport } from "../lib/report/mod.ts";

function notebook(front: boolean, html: string, code: string): INotebookContent {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: front ? { emargin: { front_page: true } } : {},
    cells: [
      { cell_type: "markdown", id: "m1", metadata: {}, source: "# Heading of the notebook" },
      {
        cell_type: "code",
        id: "c1",
        metadata: {},
        source: code,
        execution_count: 1,
        outputs: [{ output_type: "display_data", data: { "text/html": html }, metadata: {} }],
      },
    ],
  };
}

Deno.test("renderReport: a front-page notebook shows its outputs only, above the contents", () => {
  const { html } = renderReport({
    title: "t",
    header: {
      commit: "abc",
      date: "2026-12-04",
      denoVersion: "2.9.6",
      tfjsVersion: "4.22.0",
      backend: "wasm",
      adapter: null,
      profile: "quick",
      dataDir: "x",
    },
    notebooks: [
      {
        path: "notebooks/00-summary.ipynb",
        notebook: notebook(true, "<p>FRONT</p>", "frontPage(study);"),
      },
      { path: "notebooks/01-data.ipynb", notebook: notebook(false, "<p>BODY</p>", "body(study);") },
    ],
  });
  assert.ok(isFrontPage(notebook(true, "", "")));
  assert.ok(!isFrontPage(notebook(false, "", "")));
  const front = html.indexOf("FRONT"),
    toc = html.indexOf('class="toc"'),
    body = html.indexOf("BODY");
  assert.ok(front > 0 && front < toc && toc < body, "front page, then contents, then notebooks");
  assert.ok(!html.includes("frontPage(study)"), "the front page's code is not shown");
  assert.ok(html.includes("body(study)"), "the other notebooks' code is");
  assert.equal(html.split("Heading of the notebook").length - 1, 2, "front-page markdown left out");
});
