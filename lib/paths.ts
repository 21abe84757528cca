/**
 * Where the shared goldens and datasets, the user's data and caches live.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Root of the repository (the folder holding deno.json). */
export const repoRoot: string = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "..",
);

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

/** `../shared` beside the repository, or `$EMARGIN_SHARED`. */
export function sharedDir(): string {
  return env("EMARGIN_SHARED") ?? resolve(repoRoot, "..", "shared");
}

/** The golden files computed by the official PyTorch code (read-only). */
export function goldenDir(): string {
  return join(sharedDir(), "golden");
}

/** The real recordings in `../shared/datasets` (read-only; never copied into the repo). */
export function sharedDatasetsDir(): string {
  return join(sharedDir(), "datasets");
}

/** The user's data directory: `$EMARGIN_DATA`, else `data/` in the repository. */
export function dataDir(): string {
  return env("EMARGIN_DATA") ?? join(repoRoot, "data");
}

/** Cache of featurised arrays and experiment results (outside git): `$EMARGIN_CACHE` or `.cache/`. */
export function cacheDir(): string {
  return env("EMARGIN_CACHE") ?? join(repoRoot, ".cache");
}
