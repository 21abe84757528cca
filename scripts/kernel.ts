/**
 * `deno task kernel [--prefix DIR]`: installs the `emargin-deno` kernelspec
 * ("Deno (emargin)") into the user's Jupyter data directory (on Linux
 * `~/.local/share/jupyter/kernels/emargin-deno`), or under `DIR` (a Jupyter
 * data directory, e.g. one listed in `JUPYTER_PATH`), so the project's
 * notebooks open in Jupyter and VS Code with the kernel the runner uses.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { installKernelSpec } from "../lib/notebook/mod.ts";

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { prefix: { type: "string" } } });
  const dir = await installKernelSpec({ prefix: values.prefix });
  console.log(`installed kernelspec emargin-deno in ${dir}`);
}
