/**
 * Large outputs: the per-cell limit of `lib/notebook/outputs.ts`, and a real
 * run of cells printing 20 MiB and 200 000 lines through `scripts/notebooks.ts`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { IOutput, IStream } from "@jupyterlab/nbformat";
import {
  createOutputCollector,
  DEFAULT_MAX_OUTPUT_BYTES,
  parseByteSize,
  runNotebook,
  utf8Length,
} from "../lib/notebook/mod.ts";
import { prefixWithin } from "../lib/notebook/outputs.ts";
import { withoutStaleMarkers } from "../lib/notebook/run_cell.ts";
import { STREAM_PIECE_CHARS } from "../lib/notebook/kernel_prelude.ts";
import { codeCell, message } from "./_notebook.ts";
import {
  entries,
  killMentioning,
  processesMentioning,
  type RunnerPlace,
  spawnRunner,
  withRunner,
  writeNotebook,
} from "./_notebook_procs.ts";

const stdout = (text: string) => message("stream", { name: "stdout", text });

Deno.test("outputs: UTF-8 lengths and prefixes never split a character", () => {
  assert.equal(utf8Length("aé€😀"), 1 + 2 + 3 + 4);
  assert.equal(utf8Length("😀"), new TextEncoder().encode("😀").length);
  assert.equal(prefixWithin("ab\ncd\nef", 7), "ab\ncd\n");
  assert.equal(prefixWithin("abcdef", 4), "abcd");
  assert.equal(prefixWithin("a😀b", 4), "a");
  assert.equal(prefixWithin("a😀b", 5), "a😀");
  assert.equal(prefixWithin("€€", 5), "€");
});

Deno.test("outputs: the limit cuts at a line end, drops what follows but errors, and says so", () => {
  const c = createOutputCollector({ maxBytes: 10 });
  c.add(stdout("1234\n"));
  c.add(stdout("5678\n9abc\n"));
  assert.equal(c.keptBytes(), 10);
  c.add(message("display_data", { data: { "text/plain": "image" } }));
  c.add(stdout("tail\n"));
  c.add(message("error", { ename: "E", evalue: "kept", traceback: [] }));
  const outputs = c.outputs();
  assert.deepEqual(outputs.slice(0, 2), [
    { output_type: "stream", name: "stdout", text: "1234\n5678\n" },
    { output_type: "error", ename: "E", evalue: "kept", traceback: [] },
  ]);
  const note = outputs[2] as IStream;
  assert.equal(note.name, "stderr");
  assert.match(String(note.text), /^\[output truncated: 15 B in 3 output\(s\) dropped, 10 B kept;/);
  assert.equal(outputs.length, 3);
  assert.deepEqual(c.dropped(), { bytes: 5 + 5 + 5, outputs: 3 });

  // clear_output frees the space: later output is kept again, the note stays.
  c.add(message("clear_output", { wait: false }));
  c.add(stdout("again\n"));
  assert.deepEqual(c.outputs()[0], { output_type: "stream", name: "stdout", text: "again\n" });
  assert.equal(c.outputs().length, 2);
});

Deno.test("outputs: a bundle or an update beyond the limit is dropped whole; no limit keeps all", () => {
  const c = createOutputCollector({ maxBytes: 8 });
  const display = (text: string, type = "display_data") =>
    message(type, { data: { "text/plain": text }, transient: { display_id: "d" } });
  c.add(display("v1"));
  c.add(display("far too long", "update_display_data"));
  assert.deepEqual((c.outputs()[0] as IOutput).data, { "text/plain": "v1" });
  c.add(display("v2 ok", "update_display_data"));
  assert.deepEqual((c.outputs()[0] as IOutput).data, { "text/plain": "v2 ok" });
  c.add(message("execute_result", { data: { "application/json": { a: "1234" } } }));
  assert.equal(c.outputs().length, 2, "the display and the note");
  assert.equal(c.keptBytes(), 5);

  const all = createOutputCollector();
  for (let i = 0; i < 1000; i++) all.add(stdout("x".repeat(1000)));
  assert.equal(all.keptBytes(), 1_000_000);
  assert.equal(all.outputs().length, 1);
  assert.equal(DEFAULT_MAX_OUTPUT_BYTES, 4 * 1024 * 1024);
});

/** Peak resident memory of `pid` while `running`, sampled every 200 ms (bytes). */
async function peakRss(pid: number, running: Promise<unknown>): Promise<number> {
  let peak = 0;
  let done = false;
  running.finally(() => done = true);
  while (!done) {
    try {
      const status = await Deno.readTextFile(`/proc/${pid}/status`);
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      peak = Math.max(peak, kb * 1024);
    } catch {
      break; // exited
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return peak;
}

Deno.test("markers: an earlier cell's end marker, sent again and stamped with the next cell, is removed", () => {
  const current = `emargin-cell-done-${crypto.randomUUID()}`;
  const stale = `emargin-cell-done-${crypto.randomUUID()}`;
  const stream = (text: string) => message("stream", { name: "stdout", text });
  assert.equal(withoutStaleMarkers(stream(`${stale}\n`), current), null);
  assert.equal(
    withoutStaleMarkers(stream(`a\n${stale}\nb\n${current}\n`), current)?.content.text,
    `a\nb\n${current}\n`,
  );
  const plain = stream("emargin-cell-done-but-not-a-marker\n");
  assert.equal(withoutStaleMarkers(plain, current), plain);
  const result = message("execute_result", { data: { "text/plain": `${stale}\n` } });
  assert.equal(withoutStaleMarkers(result, current), result, "only streams carry markers");
});

Deno.test("runner: cells printing 20 MiB and 200 000 lines are cut at 4 MiB and the run goes on", async () => {
  const MiB = 1024 * 1024;
  const cells = [
    codeCell(
      "mib20",
      `const line = "x".repeat(${MiB - 1});\nfor (let i = 0; i < 20; i++) console.log(line);`,
    ),
    codeCell("one8", `console.log("y".repeat(${8 * MiB}));`),
    codeCell(
      "lines",
      'for (let i = 0; i < 200_000; i++) console.log(`line ${i} ${"-".repeat(24)}`);',
    ),
    codeCell("after", 'console.log("after");'),
  ];
  const start = ({ dir, tmp, notebook }: RunnerPlace) =>
    spawnRunner([notebook, "--out", join(dir, "out")], tmp);
  await withRunner(
    "emargin-big-",
    "big.ipynb",
    cells,
    start,
    async ({ dir, tmp, runner, stderr }) => {
      const peak = await peakRss(runner.pid, runner.status);
      const status = await runner.status;
      assert.equal(status.code, 0, await stderr);
      const written = JSON.parse(await Deno.readTextFile(join(dir, "out", "big.ipynb")));
      const [mib20, one8, lines, after] = written.cells as {
        outputs: IStream[];
        metadata: { emargin: { output_truncated?: Record<string, number> } };
      }[];

      assert.equal(mib20.outputs[0].text, `${"x".repeat(MiB - 1)}\n`.repeat(4));
      // the prelude sends console text in pieces of STREAM_PIECE_CHARS: 16 per 1 MiB line
      const pieces = MiB / STREAM_PIECE_CHARS;
      assert.match(
        String(mib20.outputs[1].text),
        new RegExp(`^\\[output truncated: 16\\.0 MiB in ${16 * pieces} output`),
      );
      assert.deepEqual(mib20.metadata.emargin.output_truncated, {
        kept_bytes: 4 * MiB,
        dropped_bytes: 16 * MiB,
        dropped_outputs: 16 * pieces,
        limit_bytes: 4 * MiB,
      });

      assert.equal(one8.outputs[0].text, "y".repeat(4 * MiB), "one line is cut at the limit");
      assert.match(
        String(one8.outputs[1].text),
        new RegExp(`^\\[output truncated: 4\\.0 MiB in ${4 * pieces + 1} output`),
        "the second half of the line and its line end",
      );

      const kept = String(lines.outputs[0].text).split("\n");
      assert.equal(kept.pop(), "", "the kept text ends at a line end");
      kept.forEach((line, i) => assert.equal(line, `line ${i} ${"-".repeat(24)}`));
      let fit = 0;
      for (let bytes = 0; (bytes += `line ${fit} ${"-".repeat(24)}\n`.length) <= 4 * MiB;) fit++;
      assert.equal(kept.length, fit, "every line that fits in 4 MiB is kept, in order");
      assert.match(String(lines.outputs[1].text), /^\[output truncated: /);
      assert.ok(lines.metadata.emargin.output_truncated!.kept_bytes <= 4 * MiB);

      assert.deepEqual(after.outputs, [{ output_type: "stream", name: "stdout", text: "after\n" }]);
      assert.ok(peak < 1024 * MiB, `the runner peaked at ${(peak / MiB).toFixed(0)} MiB`);
      console.log(`runner peak RSS ${(peak / MiB).toFixed(0)} MiB`);

      assert.deepEqual(await processesMentioning(tmp), [], "a process is left behind");
      assert.deepEqual(await entries(tmp), [], "a temporary file is left behind");
      assert.deepEqual(await entries(join(dir, "out")), ["big.ipynb"]);
    },
  );
});

Deno.test("runNotebook: maxOutputBytes sets the limit; the kernel and its folder are gone after", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "emargin-cap-" }));
  try {
    const path = join(dir, "cap.ipynb");
    await writeNotebook(path, [
      codeCell("print", 'for (let i = 0; i < 100; i++) console.log("0123456789");'),
    ]);
    const result = await runNotebook(path, { maxOutputBytes: 55 });
    assert.equal(result.status, "ok", String(result.message));
    const [kept, note] = result.notebook.cells[0].outputs as IStream[];
    assert.equal(kept.text, "0123456789\n".repeat(5));
    assert.match(
      String(note.text),
      /^\[output truncated: 1\.0 KiB in 95 output\(s\) dropped, 55 B kept; /,
    );
    assert.ok(!(await processesMentioning("jupyter")).includes(result.kernelPid), "kernel alive");
    await assert.rejects(() => runNotebook(path, { maxOutputBytes: 0 }), /maxOutputBytes/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CLI: --max-output takes a size; a malformed one exits 2 before any kernel starts", async () => {
  assert.deepEqual(
    ["4MiB", "512 kib", "1.5M", "100", "2G", "0", "-1", "4 MB", "x"].map(parseByteSize),
    [4 * 1024 ** 2, 512 * 1024, 1.5 * 1024 ** 2, 100, 2 * 1024 ** 3, NaN, NaN, NaN, NaN],
  );
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "emargin-cli-" }));
  const tmp = join(dir, "tmp");
  await Deno.mkdir(tmp);
  try {
    const path = join(dir, "kib.ipynb");
    await writeNotebook(path, [
      codeCell("print", 'for (let i = 0; i < 400; i++) console.log("0123456789");'),
    ]);
    const run = async (...args: string[]) => {
      const child = spawnRunner([path, "--out", join(dir, "out"), ...args], tmp);
      const [status, , stderr] = await Promise.all([
        child.status,
        child.stdout.cancel(),
        new Response(child.stderr).text(),
      ]);
      return { code: status.code, stderr };
    };
    const bad = await run("--max-output", "lots");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^--max-output "lots": expected a size such as 4MiB/);
    assert.deepEqual(await entries(join(dir, "out")), []);

    const ok = await run("--max-output", "1KiB");
    assert.equal(ok.code, 0, ok.stderr);
    const written = JSON.parse(await Deno.readTextFile(join(dir, "out", "kib.ipynb")));
    const [kept, note] = written.cells[0].outputs as IStream[];
    assert.equal(kept.text, "0123456789\n".repeat(93));
    assert.match(String(note.text), /the limit is 1\.0 KiB per cell/);
    assert.deepEqual(await processesMentioning(tmp), []);
    assert.deepEqual(await entries(tmp), []);
  } finally {
    await killMentioning(tmp);
    await Deno.remove(dir, { recursive: true });
  }
});
