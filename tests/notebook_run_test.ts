/**
 * The runner on the real Deno kernel: outputs, failures, timeouts, kernel
 * death and parameters (the protocol, nbformat and progress units are in
 * `notebook_test.ts`, signals in `notebook_lifetime_test.ts`, large outputs in
 * `notebook_output_test.ts`).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { INotebookContent, IOutput } from "@jupyterlab/nbformat";
import { repoRoot } from "../lib/paths.ts";
import {
  INJECTED_TAG,
  ParameterError,
  runNotebook,
  validateNotebook,
} from "../lib/notebook/mod.ts";
import { codeCell, notebookOf, plain } from "./_notebook.ts";

const FIXTURES = join(repoRoot, "tests", "fixtures", "notebooks");

async function processGone(pid: number): Promise<boolean> {
  const { success } = await new Deno.Command("kill", { args: ["-0", String(pid)], stderr: "null" })
    .output();
  return !success;
}

/** A 30-cell notebook and, for each cell, the exact outputs it must produce. */
function mixedNotebook(dir: string): { notebook: INotebookContent; expected: unknown[][] } {
  const cells = [codeCell("cwd", "Deno.cwd()")];
  const expected: unknown[][] = [[{
    output_type: "execute_result",
    execution_count: 1,
    data: { "text/plain": JSON.stringify(dir) },
  }]];
  for (let i = 1; i < 30; i++) {
    const n = i + 1; // execution count
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="${i}" height="10"/></svg>`;
    switch (i % 6) {
      case 0:
        cells.push(codeCell(`c${i}`, `console.log("cell ${i} a");\nconsole.log("cell ${i} b");`));
        expected.push([{
          output_type: "stream",
          name: "stdout",
          text: `cell ${i} a\ncell ${i} b\n`,
        }]);
        break;
      case 1:
        cells.push(codeCell(`c${i}`, `const v${i} = ${i} * 7;\nv${i}`));
        expected.push([{
          output_type: "execute_result",
          execution_count: n,
          data: { "text/plain": String(i * 7) },
        }]);
        break;
      case 2:
        cells.push(codeCell(
          `c${i}`,
          `await new Promise((r) => setTimeout(r, 5));\nconsole.log("after timer ${i}");\n"done ${i}"`,
        ));
        expected.push([
          { output_type: "stream", name: "stdout", text: `after timer ${i}\n` },
          {
            output_type: "execute_result",
            execution_count: n,
            data: { "text/plain": `"done ${i}"` },
          },
        ]);
        break;
      case 3:
        cells.push(codeCell(
          `c${i}`,
          `await Deno.jupyter.display({ "text/plain": "display ${i}" }, { raw: true });\nconsole.error("stderr ${i}");`,
        ));
        expected.push([
          { output_type: "display_data", data: { "text/plain": `display ${i}` } },
          { output_type: "stream", name: "stderr", text: `stderr ${i}\n` },
        ]);
        break;
      case 4:
        cells.push(codeCell(
          `c${i}`,
          `({ [Symbol.for("Jupyter.display")]() {\n  return { "image/svg+xml": ${
            JSON.stringify(svg)
          } };\n} })`,
        ));
        expected.push([{
          output_type: "execute_result",
          execution_count: n,
          data: { "image/svg+xml": svg },
        }]);
        break;
      case 5:
        cells.push(codeCell(
          `c${i}`,
          `console.log("out ${i}");\nconsole.error("err ${i}");\nconsole.log("out again ${i}");\n${i}`,
        ));
        expected.push([
          { output_type: "stream", name: "stdout", text: `out ${i}\n` },
          { output_type: "stream", name: "stderr", text: `err ${i}\n` },
          { output_type: "stream", name: "stdout", text: `out again ${i}\n` },
          { output_type: "execute_result", execution_count: n, data: { "text/plain": String(i) } },
        ]);
        break;
    }
  }
  return { notebook: notebookOf(cells), expected };
}

Deno.test("runNotebook: 30 mixed cells run 10 times lose and misattribute no output", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "emargin-nb-" }));
  try {
    const { notebook, expected } = mixedNotebook(dir);
    const path = join(dir, "mixed.ipynb");
    await Deno.writeTextFile(path, JSON.stringify(notebook));
    for (let run = 0; run < 10; run++) {
      const outPath = join(dir, `run${run}.ipynb`);
      const result = await runNotebook(path, { outPath });
      assert.equal(result.status, "ok", `run ${run}: ${result.message}`);
      assert.ok(
        await processGone(result.kernelPid),
        `run ${run}: kernel ${result.kernelPid} still alive`,
      );
      const written = JSON.parse(await Deno.readTextFile(outPath));
      assert.deepEqual(validateNotebook(written, { requireIds: true }), []);
      assert.equal(written.nbformat_minor, 5);
      written.cells.forEach((cell: { outputs: IOutput[]; execution_count: number }, i: number) => {
        assert.deepEqual(plain(cell.outputs), expected[i], `run ${run}, cell ${i}`);
        assert.equal(cell.execution_count, i + 1, `run ${run}, cell ${i}`);
      });
      const timing = written.cells[3].metadata.execution;
      assert.ok(timing["iopub.execute_input"] && timing["shell.execute_reply"], "timing recorded");
      assert.ok(written.cells[2].metadata.emargin.seconds >= 0.005, "cell 3 waits 5 ms");
      assert.equal(written.metadata.emargin.run.status, "ok");
      assert.equal(written.metadata.language_info.name, "typescript");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runNotebook: a failing cell records its traceback and stops the run; CLI exits 1", async () => {
  const result = await runNotebook(join(FIXTURES, "error.ipynb"));
  assert.equal(result.status, "error");
  assert.equal(result.failedCell, 2);
  assert.equal(result.message, "cell 3: RangeError: boom from cell 2");
  assert.deepEqual(validateNotebook(result.notebook, { requireIds: true }), []);
  const [before, , failing, after] = result.notebook.cells;
  assert.deepEqual(before.outputs, [{
    output_type: "stream",
    name: "stdout",
    text: "before the failure\n",
  }]);
  const [error] = failing.outputs as IOutput[];
  assert.equal(error.output_type, "error");
  assert.equal(error.ename, "RangeError");
  assert.equal(error.evalue, "boom from cell 2");
  assert.ok((error.traceback as string[]).some((line) => line.includes("at fail")));
  assert.equal(failing.execution_count, 2);
  assert.deepEqual([after.execution_count, after.outputs], [null, []]);
  assert.ok(await processGone(result.kernelPid));

  const out = await Deno.makeTempDir();
  try {
    const cli = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        join(repoRoot, "scripts", "notebooks.ts"),
        join(FIXTURES, "error.ipynb"),
        "--out",
        out,
      ],
      cwd: repoRoot,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(cli.stderr);
    assert.equal(cli.code, 1, stderr);
    // The progress line and the error message name the same cell, counted from 1.
    assert.match(stderr, /error\.ipynb cell 3\/4 {2}\d+\.\d\d s {2}error/);
    assert.match(stderr, /error\.ipynb: error: cell 3: RangeError: boom from cell 2/);
    const written = JSON.parse(await Deno.readTextFile(join(out, "error.ipynb")));
    assert.equal(written.cells[2].outputs[0].ename, "RangeError");
    assert.deepEqual(validateNotebook(written), []);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("runNotebook: a hanging cell is interrupted at its 5 s timeout and the kernel is gone", async () => {
  const t0 = performance.now();
  const result = await runNotebook(join(FIXTURES, "hang.ipynb"), { timeoutSeconds: 5 });
  const seconds = (performance.now() - t0) / 1000;
  assert.equal(result.status, "timeout");
  assert.equal(result.failedCell, 1);
  assert.ok(seconds >= 5 && seconds < 5 + 5, `took ${seconds} s`);
  assert.ok(await processGone(result.kernelPid), `kernel ${result.kernelPid} still alive`);
  const [started, spin, after] = result.notebook.cells;
  assert.deepEqual(started.outputs, [{ output_type: "stream", name: "stdout", text: "started\n" }]);
  assert.equal((spin.outputs as IOutput[])[0].ename, "CellTimeoutError");
  assert.deepEqual(after.outputs, []);
  assert.deepEqual(validateNotebook(result.notebook), []);
});

Deno.test("runNotebook: a cell that ignores the interrupt is killed after the grace period (cell timeout)", async () => {
  const t0 = performance.now();
  const result = await runNotebook(join(FIXTURES, "hang_async.ipynb"), { graceSeconds: 1 });
  const seconds = (performance.now() - t0) / 1000;
  assert.equal(result.status, "timeout");
  assert.equal(result.failedCell, 0);
  assert.ok(seconds < 1 + 1 + 4, `took ${seconds} s`);
  assert.ok(await processGone(result.kernelPid));
  assert.match(result.message ?? "", /^cell 1 did not finish within 1 s$/);
});

Deno.test("runNotebook: kernel death is reported on the cell that caused it", async () => {
  const result = await runNotebook(join(FIXTURES, "kernel_exit.ipynb"));
  assert.equal(result.status, "dead");
  assert.equal(result.failedCell, 1);
  assert.match(result.message ?? "", /the kernel died \(exit code 3\) while running cell 2$/);
  assert.equal((result.notebook.cells[1].outputs as IOutput[])[0].ename, "KernelDiedError");
  assert.ok(await processGone(result.kernelPid));
  assert.deepEqual(validateNotebook(result.notebook), []);
});

Deno.test("runNotebook: parameters are injected after the parameters cell; unknown ones are refused", async () => {
  const path = join(FIXTURES, "parameters.ipynb");
  const result = await runNotebook(path, {
    params: { epochs: 3, dataset: "sleep-edf", options: { fast: true } },
  });
  assert.equal(result.status, "ok", String(result.message));
  const cells = result.notebook.cells;
  assert.deepEqual(cells[2].metadata.tags, [INJECTED_TAG]);
  assert.deepEqual(cells[2].outputs, []);
  assert.deepEqual(cells[3].outputs, [{
    output_type: "stream",
    name: "stdout",
    text: '{"epochs":3,"dataset":"sleep-edf","options":{"fast":true}}\n',
  }]);
  assert.deepEqual(
    (result.notebook.metadata.emargin as { run: { parameters: unknown } }).run.parameters,
    {
      epochs: 3,
      dataset: "sleep-edf",
      options: { fast: true },
    },
  );
  assert.deepEqual(validateNotebook(result.notebook), []);

  const defaults = await runNotebook(path);
  assert.equal(defaults.notebook.cells.length, 3);
  assert.deepEqual(defaults.notebook.cells[2].outputs, [{
    output_type: "stream",
    name: "stdout",
    text: '{"epochs":10,"dataset":"harth","options":{"fast":false}}\n',
  }]);
  await assert.rejects(() => runNotebook(path, { params: { epoch: 3 } }), ParameterError);
});
