/**
 * The `emargin-deno` kernelspec, so the project's notebooks open in Jupyter
 * and VS Code with the same kernel the headless runner starts.
 *
 * The notebooks' `metadata.kernelspec` names this one, not `deno` (what
 * `deno jupyter --install` writes): it runs the Deno executable that ran
 * `deno task kernel` (the project's pinned version, wherever it is installed,
 * even off Jupyter's `PATH`), and installing it never replaces a user's own
 * `deno` kernelspec, which may point at another Deno version.
 *
 * @module
 */
import { join } from "node:path";
import { writeJsonAtomic } from "../io.ts";
import type { IKernelspecMetadata } from "@jupyterlab/nbformat";

/** The kernelspec's name (its folder name). */
export const KERNEL_NAME = "emargin-deno";
/** The name Jupyter shows. */
export const KERNEL_DISPLAY_NAME = "Deno (emargin)";

/** The `metadata.kernelspec` an executed notebook gets when it has none. */
export const KERNELSPEC_METADATA: IKernelspecMetadata = {
  name: KERNEL_NAME,
  display_name: KERNEL_DISPLAY_NAME,
  language: "typescript",
};

/** Content of `kernel.json`. */
export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: "message" | "signal";
  env: Record<string, string>;
  metadata: Record<string, unknown>;
}

/**
 * The kernelspec: `argv = [deno, "jupyter", "--kernel", "--conn", "{connection_file}"]`,
 * `NO_COLOR=1`, and interrupts by `interrupt_request` (SIGINT would end the Deno kernel).
 */
export function kernelSpec(denoPath: string = Deno.execPath()): KernelSpec {
  return {
    argv: [denoPath, "jupyter", "--kernel", "--conn", "{connection_file}"],
    display_name: KERNEL_DISPLAY_NAME,
    language: "typescript",
    interrupt_mode: "message",
    env: { NO_COLOR: "1" },
    metadata: {},
  };
}

/**
 * The user's Jupyter data directory: `$JUPYTER_DATA_DIR`, else
 * `~/Library/Jupyter` (macOS), `%APPDATA%\jupyter` (Windows), or
 * `$XDG_DATA_HOME/jupyter` / `~/.local/share/jupyter` (Linux).
 */
export function jupyterDataDir(): string {
  const env = (name: string) => Deno.env.get(name) || undefined;
  const explicit = env("JUPYTER_DATA_DIR");
  if (explicit) return explicit;
  const home = env("HOME") ?? env("USERPROFILE") ?? ".";
  if (Deno.build.os === "darwin") return join(home, "Library", "Jupyter");
  if (Deno.build.os === "windows") return join(env("APPDATA") ?? home, "jupyter");
  return join(env("XDG_DATA_HOME") ?? join(home, ".local", "share"), "jupyter");
}

/**
 * Writes `kernels/emargin-deno/kernel.json` under `prefix` (a Jupyter data
 * directory; default {@link jupyterDataDir}) atomically and returns the
 * kernelspec folder.
 */
export async function installKernelSpec(
  options: { prefix?: string; denoPath?: string } = {},
): Promise<string> {
  const dir = join(options.prefix ?? jupyterDataDir(), "kernels", KERNEL_NAME);
  await writeJsonAtomic(join(dir, "kernel.json"), kernelSpec(options.denoPath));
  return dir;
}
