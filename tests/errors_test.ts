import assert from "node:assert/strict";
import {
  DataFormatError,
  DegenerateInputError,
  EmarginError,
  MissingDataError,
  NonFiniteError,
  OptionError,
  ShapeError,
} from "../lib/errors.ts";
import {
  ChecksumError,
  DownloadError,
  TruncatedDownloadError,
  UnverifiedDownloadError,
} from "../lib/data/download.ts";
import { KernelError, NotebookFormatError, ParameterError } from "../lib/notebook/errors.ts";
import { NotebookFailedError, ReportError, UnsafeContentError } from "../lib/report/errors.ts";

/** Checks `name`, `message` and the class chain (most derived first) of an error. */
function assertError(
  error: Error,
  chain: (abstract new (...args: never[]) => Error)[],
  message: string,
): void {
  assert.equal(error.name, chain[0].name);
  assert.equal(error.message, message);
  for (const type of [...chain, EmarginError, Error]) assert.ok(error instanceof type, type.name);
  assert.match(String(error), new RegExp(`^${chain[0].name}: `));
}

Deno.test("errors: each class keeps its name, message and place in the hierarchy", () => {
  assertError(new EmarginError("m"), [EmarginError], "m");
  for (const type of [MissingDataError, ShapeError, NonFiniteError, DegenerateInputError]) {
    assertError(new type("m"), [type], "m");
    assert.ok(!(new type("m") instanceof DataFormatError));
  }
  assertError(new OptionError("m"), [OptionError], "m");
  assertError(new KernelError("m"), [KernelError], "m");
  assertError(new ParameterError("m"), [ParameterError], "m");

  const format = new DataFormatError("a.edf", "header", "256 bytes", "12");
  assertError(format, [DataFormatError], "a.edf: header: expected 256 bytes, found 12");
  assert.deepEqual([format.file, format.field, format.expected], ["a.edf", "header", "256 bytes"]);
  assert.equal(
    new DataFormatError("a.edf", "header", "256 bytes").message,
    "a.edf: header: expected 256 bytes",
  );

  const notebook = new NotebookFormatError("n.ipynb", ["cells: missing", "metadata: missing"]);
  assertError(
    notebook,
    [NotebookFormatError],
    "n.ipynb: not a valid nbformat 4 notebook:\n  cells: missing\n  metadata: missing",
  );
  assert.deepEqual([notebook.file, notebook.problems], ["n.ipynb", [
    "cells: missing",
    "metadata: missing",
  ]]);
});

Deno.test("errors: download errors name the URL; a checksum error the hashes", () => {
  const url = "https://example.org/a.bin";
  const download = new DownloadError(url, "HTTP 404");
  assertError(download, [DownloadError], `${url}: HTTP 404`);
  assert.equal(download.url, url);
  assertError(
    new TruncatedDownloadError(url, "cut"),
    [TruncatedDownloadError, DownloadError],
    `${url}: cut`,
  );
  assertError(
    new UnverifiedDownloadError(url, "no hash"),
    [UnverifiedDownloadError, DownloadError],
    `${url}: no hash`,
  );
  const checksum = new ChecksumError(url, "/d/a.bin", "aa", "bb");
  assertError(
    checksum,
    [ChecksumError, DownloadError],
    `${url}: /d/a.bin: SHA-256 expected aa, found bb`,
  );
  assert.deepEqual([checksum.url, checksum.expected, checksum.found], [url, "aa", "bb"]);
});

Deno.test("errors: report errors name the notebook, or none for the whole report", () => {
  const whole = new ReportError(null, "no notebooks");
  assertError(whole, [ReportError], "no notebooks");
  assert.equal(whole.notebook, null);
  assertError(new ReportError("n.ipynb", "bad"), [ReportError], "n.ipynb: bad");

  const failed = new NotebookFailedError("n.ipynb", 3, "TypeError", "x is undefined");
  assertError(
    failed,
    [NotebookFailedError, ReportError],
    "n.ipynb: cells[3] raised TypeError: x is undefined",
  );
  assert.deepEqual([failed.notebook, failed.cell, failed.ename], ["n.ipynb", 3, "TypeError"]);

  const unsafe = new UnsafeContentError("n.ipynb", "cells[4].outputs[0] text/html", [
    'img src="https://x"',
    "script",
  ]);
  assertError(
    unsafe,
    [UnsafeContentError, ReportError],
    "n.ipynb: cells[4].outputs[0] text/html: expected a self-contained fragment " +
      '(no scripts, no external resources), found img src="https://x", script',
  );
  assert.deepEqual([unsafe.where, unsafe.found], ["cells[4].outputs[0] text/html", [
    'img src="https://x"',
    "script",
  ]]);
});
