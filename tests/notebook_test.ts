import assert from "node:assert/strict";
import { join } from "node:path";
import * as zmq from "zeromq";
import {
  connectKernel,
  createOutputCollector,
  createProgressReporter,
  createSigner,
  declaredParameters,
  decodeMessage,
  encodeMessage,
  freePort,
  INJECTED_TAG,
  injectParameters,
  installKernelSpec,
  makeConnectionInfo,
  ParameterError,
  parseParameterArgs,
  type ProgressEvent,
  validateNotebook,
} from "../lib/notebook/mod.ts";
import { makeHeader } from "../lib/notebook/protocol.ts";
import { codeCell, message, notebookOf, plain } from "./_notebook.ts";

// ---------------------------------------------------------------- protocol

Deno.test("protocol: signed frames decode; tampered, re-keyed or malformed frames are dropped", async () => {
  const signer = await createSigner("secret-key");
  const msg = message("stream", { name: "stdout", text: "hi\n" });
  const frames = await encodeMessage(signer, { ...msg, identities: [new Uint8Array([1, 2])] });
  assert.equal(frames[1], "<IDS|MSG>");
  assert.match(String(frames[2]), /^[0-9a-f]{64}$/);
  const decoded = await decodeMessage(signer, frames);
  assert.deepEqual(decoded?.content, { name: "stdout", text: "hi\n" });
  assert.deepEqual(decoded?.identities, [new Uint8Array([1, 2])]);

  const tampered = [...frames];
  tampered[6] = JSON.stringify({ name: "stdout", text: "forged\n" });
  assert.equal(await decodeMessage(signer, tampered), null);
  const other = await encodeMessage(await createSigner("other-key"), msg);
  assert.equal(await decodeMessage(signer, other), null);
  assert.equal(await decodeMessage(signer, frames.slice(1, 5)), null);
  const badHex = [...frames];
  badHex[2] = "zz";
  assert.equal(await decodeMessage(signer, badHex), null);
});

/** Polls `condition` every 5 ms; fails after `ms`. */
async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    assert.ok(performance.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

Deno.test("kernel client: iopub and shell messages with a bad signature are ignored", async () => {
  // A stand-in kernel: a PUB and a ROUTER socket bound on the connection's ports.
  const connection = makeConnectionInfo();
  const signer = await createSigner(connection.key);
  const forger = await createSigner("not-the-key");
  const iopub = new zmq.Publisher({ linger: 0 });
  const shell = new zmq.Router({ linger: 0 });
  await iopub.bind(`tcp://127.0.0.1:${connection.iopub_port}`);
  await shell.bind(`tcp://127.0.0.1:${connection.shell_port}`);
  const client = await connectKernel(connection);
  try {
    const seen: string[] = [];
    client.onIOPub((m) => seen.push(String(m.content.text)));
    // Publish until the subscription is live (PUB drops messages before it).
    const probe = async () => {
      await iopub.send(await encodeMessage(signer, message("stream", { text: "probe" })));
      await new Promise((r) => setTimeout(r, 10));
    };
    for (let i = 0; i < 500 && seen.length === 0; i++) await probe();
    assert.ok(seen.length > 0, "the subscription never went live");
    seen.length = 0;
    await iopub.send(await encodeMessage(forger, message("stream", { text: "forged" })));
    const tampered = await encodeMessage(signer, message("stream", { text: "real" }));
    tampered[5] = JSON.stringify({ text: "forged-content" });
    await iopub.send(tampered);
    await iopub.send(await encodeMessage(signer, message("stream", { text: "genuine" })));
    await until(() => seen.includes("genuine"), "the genuine message");
    assert.deepEqual(seen, ["genuine"]);
    assert.equal(client.droppedCount(), 2);

    const reply = client.kernelInfo();
    await until(() => shell.readable, "the kernel_info_request");
    const request = await shell.receive();
    const decoded = await decodeMessage(signer, request);
    assert.equal(decoded?.header.msg_type, "kernel_info_request");
    const answer = (s: typeof signer, text: string) =>
      encodeMessage(s, {
        identities: decoded!.identities,
        header: makeHeader("kernel_info_reply", "fake"),
        parent_header: decoded!.header,
        content: { status: "ok", implementation: text },
      });
    await shell.send(await answer(forger, "forged"));
    await shell.send(await answer(signer, "genuine"));
    assert.equal((await reply).content.implementation, "genuine");
    assert.equal(client.droppedCount(), 3);
  } finally {
    client.close();
    iopub.close();
    shell.close();
  }
});

// ---------------------------------------------------------------- nbformat, parameters, progress

Deno.test("output collector: merges streams, applies clear_output and update_display_data", () => {
  const c = createOutputCollector();
  c.add(message("stream", { name: "stdout", text: "a\n" }));
  c.add(message("stream", { name: "stdout", text: "b\n" }));
  c.add(message("stream", { name: "stderr", text: "e\n" }));
  c.add(message("stream", { name: "stdout", text: "c\n" }));
  c.add(message("status", { execution_state: "idle" }));
  assert.deepEqual(c.outputs(), [
    { output_type: "stream", name: "stdout", text: "a\nb\n" },
    { output_type: "stream", name: "stderr", text: "e\n" },
    { output_type: "stream", name: "stdout", text: "c\n" },
  ]);
  c.add(message("clear_output", { wait: true }));
  assert.equal(c.outputs().length, 3);
  c.add(message("display_data", { data: { "text/plain": "v1" }, transient: { display_id: "d" } }));
  c.add(
    message("update_display_data", {
      data: { "text/plain": "v2" },
      transient: { display_id: "d" },
    }),
  );
  assert.deepEqual(plain(c.outputs()), [{
    output_type: "display_data",
    data: { "text/plain": "v2" },
  }]);
  c.add(message("clear_output", { wait: false }));
  assert.deepEqual(c.outputs(), []);
});

Deno.test("validateNotebook: names each missing or mistyped key", () => {
  assert.deepEqual(validateNotebook(notebookOf([codeCell("a", "1")])), []);
  const bad = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      {
        id: "a",
        cell_type: "code",
        metadata: {},
        source: "1",
        outputs: [{ output_type: "stream", name: "stdout" }],
      },
      { id: "a", cell_type: "markdown", metadata: {}, source: ["x"] },
      {
        cell_type: "code",
        metadata: {},
        source: 3,
        outputs: [{ output_type: "error", ename: "E" }],
        execution_count: 1.5,
      },
      {
        id: "d",
        cell_type: "code",
        metadata: {},
        source: "",
        outputs: [{ output_type: "execute_result", data: {}, metadata: {} }],
        execution_count: 2,
      },
    ],
  };
  assert.deepEqual(validateNotebook(bad), [
    'cells[0].outputs[0]: missing "text"',
    "cells[0].execution_count: expected null or an integer ≥ 0",
    'cells[1].id: "a" is not unique',
    "cells[2].source: expected a string or list of strings",
    "cells[2].id: expected 1–64 characters of [a-zA-Z0-9-_]",
    'cells[2].outputs[0]: missing "evalue"',
    'cells[2].outputs[0]: missing "traceback"',
    "cells[2].execution_count: expected null or an integer ≥ 0",
    'cells[3].outputs[0]: missing "execution_count"',
  ]);
  assert.deepEqual(validateNotebook({ nbformat: 3, cells: [] }), [
    "nbformat: expected 4",
    "nbformat_minor: expected an integer ≥ 0",
    "metadata: expected an object",
  ]);
});

Deno.test("parameters: typed --param values, declarations, injection and unknown names", () => {
  assert.deepEqual(
    parseParameterArgs([
      "epochs=50",
      "lr=1e-3",
      "fast=true",
      "name=harth",
      'options={"k":[1,2]}',
      "nothing=null",
      'quoted="7"',
      "empty=",
    ]),
    {
      epochs: 50,
      lr: 0.001,
      fast: true,
      name: "harth",
      options: { k: [1, 2] },
      nothing: null,
      quoted: "7",
      empty: "",
    },
  );
  assert.throws(() => parseParameterArgs(["novalue"]), ParameterError);
  assert.throws(() => parseParameterArgs(["1x=2"]), ParameterError);
  assert.throws(() => parseParameterArgs(["j={bad"]), ParameterError);
  assert.deepEqual(
    [...declaredParameters("let a = 1;\n// let commented = 2\nvar b: string = 'x'; const c = 3\n")],
    [["a", "let"], ["b", "var"], ["c", "const"]],
  );
  const nb = notebookOf([
    codeCell("p", "let epochs = 10;\nconst fixed = 1;", { tags: ["parameters"] }),
    codeCell("old", "epochs = 99;", { tags: [INJECTED_TAG] }),
    codeCell("use", "epochs"),
  ]);
  const injected = injectParameters(nb, { epochs: 3 });
  assert.deepEqual(
    injected.cells.map((c) => c.id === "p" || c.id === "use" ? c.id : c.metadata.tags),
    [
      "p",
      [INJECTED_TAG],
      "use",
    ],
  );
  assert.equal(
    injected.cells[1].source,
    "// Parameters injected by the notebook runner.\nepochs = 3;\nvoid 0;",
  );
  assert.throws(() => injectParameters(nb, { unknown: 1 }), /unknown parameter\(s\) unknown/);
  assert.throws(() => injectParameters(nb, { fixed: 2 }), /declared with const/);
  assert.throws(
    () => injectParameters(notebookOf([codeCell("x", "let a = 1")]), { a: 2 }),
    /no cell tagged "parameters"/,
  );
  assert.equal(injectParameters(nb, {}), nb);
});

Deno.test("progress: one line per cell when not live, a redrawn line when live", () => {
  const events: ProgressEvent[] = [
    { kind: "start", notebook: "a.ipynb", cellCount: 2 },
    { kind: "cell-start", notebook: "a.ipynb", cellIndex: 0, cellCount: 2 },
    {
      kind: "cell-end",
      notebook: "a.ipynb",
      cellIndex: 0,
      cellCount: 2,
      seconds: 0.5,
      status: "ok",
    },
    { kind: "cell-start", notebook: "a.ipynb", cellIndex: 1, cellCount: 2 },
    {
      kind: "cell-end",
      notebook: "a.ipynb",
      cellIndex: 1,
      cellCount: 2,
      seconds: 1.25,
      status: "error",
    },
    { kind: "end", notebook: "a.ipynb", status: "error", seconds: 2 },
  ];
  let text = "";
  const plainReporter = createProgressReporter({ write: (s) => text += s, live: false });
  events.forEach(plainReporter.onProgress);
  assert.equal(
    text,
    "a.ipynb cell 1/2  0.50 s\na.ipynb cell 2/2  1.25 s  error\na.ipynb: error in 2.00 s\n",
  );
  text = "";
  const live = createProgressReporter({ write: (s) => text += s, live: true });
  events.forEach(live.onProgress);
  live.close();
  const clear = "\r\x1b[2K";
  assert.ok(
    text.startsWith(`${clear}a.ipynb cell 1/2  0.0 s${clear}a.ipynb cell 1/2  0.50 s`),
    JSON.stringify(text),
  );
  assert.ok(!text.slice(0, -1).includes("\n"), "a live reporter ends only the last line");
});

Deno.test("kernelspec: installs emargin-deno under a prefix", async () => {
  const prefix = await Deno.makeTempDir();
  try {
    const dir = await installKernelSpec({ prefix });
    assert.equal(dir, join(prefix, "kernels", "emargin-deno"));
    const spec = JSON.parse(await Deno.readTextFile(join(dir, "kernel.json")));
    assert.deepEqual(spec.argv, [
      Deno.execPath(),
      "jupyter",
      "--kernel",
      "--conn",
      "{connection_file}",
    ]);
    assert.equal(spec.display_name, "Deno (emargin)");
    assert.equal(spec.language, "typescript");
    assert.deepEqual(spec.env, { NO_COLOR: "1" });
  } finally {
    await Deno.remove(prefix, { recursive: true });
  }
});

Deno.test("freePort: returns a bindable loopback port", () => {
  const port = freePort();
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  listener.close();
});
