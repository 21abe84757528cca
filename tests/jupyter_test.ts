/**
 * Jupyter as users run it: the notebooks name the kernelspec `deno task
 * kernel` installs, and `jupyter nbconvert --to notebook --execute` runs a
 * notebook unchanged on it. The execution test is ignored (with a message)
 * where `jupyter nbconvert` is absent, except under CI=true.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { INotebookContent } from "@jupyterlab/nbformat";
import { KERNEL_NAME, KERNELSPEC_METADATA } from "../lib/notebook/mod.ts";
import { findExecutable, toolTest } from "./_tools.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const NOTEBOOKS = join(ROOT, "notebooks");
/** The cheapest notebook: one batch of the first dataset found, no training. */
const CHEAPEST = "02-losses.ipynb";

function notebookFiles(): string[] {
  return [...Deno.readDirSync(NOTEBOOKS)]
    .filter((e) => e.isFile && /^\d\d-.*\.ipynb$/.test(e.name))
    .map((e) => e.name)
    .sort();
}

async function run(
  cmd: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; output: string }> {
  const { code, stdout, stderr } = await new Deno.Command(cmd, {
    args,
    env,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(300_000),
  }).output();
  const text = new TextDecoder();
  return { code, output: text.decode(stdout) + text.decode(stderr) };
}

Deno.test("notebooks: every notebook names the kernelspec deno task kernel installs", async () => {
  const files = notebookFiles();
  assert.ok(files.length >= 6, `notebooks found: ${files.join(", ")}`);
  for (const name of files) {
    const nb = JSON.parse(await Deno.readTextFile(join(NOTEBOOKS, name))) as INotebookContent;
    assert.deepEqual(nb.metadata.kernelspec, KERNELSPEC_METADATA, name);
    assert.equal(nb.metadata.kernelspec?.name, KERNEL_NAME, name);
  }
});

const jupyter = findExecutable(["jupyter"]);
const nbconvert = jupyter !== null &&
  (await run(jupyter, ["nbconvert", "--version"], {}).catch(() => ({ code: 1 }))).code === 0;

toolTest({
  name: `jupyter nbconvert --execute runs ${CHEAPEST} unchanged on the installed kernelspec`,
  file: "jupyter_test",
  tool: nbconvert ? jupyter : null,
  missing: "no `jupyter nbconvert` on PATH (Debian: apt-get install jupyter-nbconvert " +
    "python3-nbclient jupyter-client python3-ipykernel)",
  required: "`jupyter nbconvert` on PATH",
  fn: async (jupyter, dir) => {
    // `deno task kernel --prefix DIR` as a user runs it; JUPYTER_PATH makes
    // Jupyter look there, so the user's own kernelspecs are not touched.
    const prefix = join(dir, "jupyter");
    const env = {
      JUPYTER_PATH: prefix,
      EMARGIN_CACHE: join(dir, "cache"),
      NO_COLOR: "1",
      PYDEVD_DISABLE_FILE_VALIDATION: "1",
    };
    const install = await run(Deno.execPath(), ["task", "kernel", "--prefix", prefix], env);
    assert.equal(install.code, 0, install.output);
    const list = await run(jupyter, ["kernelspec", "list", "--json"], env);
    assert.equal(list.code, 0, list.output);
    const specs = JSON.parse(list.output.slice(list.output.indexOf("{"))) as {
      kernelspecs: Record<string, { resource_dir: string }>;
    };
    assert.equal(
      specs.kernelspecs[KERNEL_NAME]?.resource_dir,
      join(prefix, "kernels", KERNEL_NAME),
    );

    const out = join(dir, "out");
    const args = ["nbconvert", "--to", "notebook", "--execute", `notebooks/${CHEAPEST}`];
    const exec = await run(jupyter, [...args, "--output-dir", out], env);
    assert.equal(exec.code, 0, exec.output.slice(-3000));
    const nb = JSON.parse(await Deno.readTextFile(join(out, CHEAPEST))) as INotebookContent;
    assert.equal(nb.metadata.kernelspec?.name, KERNEL_NAME);
    const code = nb.cells.filter((c) => c.cell_type === "code");
    assert.ok(code.length > 0);
    for (const [i, cell] of code.entries()) {
      assert.equal(typeof cell.execution_count, "number", `code cell ${i} ran`);
      const outputs = (cell.outputs ?? []) as { output_type: string }[];
      assert.ok(!outputs.some((o) => o.output_type === "error"), `code cell ${i}: no error`);
    }
    const shown = code.flatMap((c) => (c.outputs ?? []) as { data?: Record<string, unknown> }[]);
    assert.ok(shown.some((o) => o.data?.["text/html"]), "tables and charts reach Jupyter");
  },
});
