/**
 * The dataset registry: name → loader returning a featurised, split
 * {@linkcode Dataset}; every loader is a recipe handed to the one pipeline,
 * `buildDataset` (`build.ts`).
 *
 * @module
 */
import { OptionError } from "../../errors.ts";
import type { Dataset } from "../types.ts";
import type { DatasetLoader, LoadDatasetOptions } from "./build.ts";
import { loadDreamsDataset } from "./dreams.ts";
import { loadAfdb, loadMitdb } from "./ecg.ts";
import { loadHapt, loadHarth } from "./har.ts";
import { loadSleepEdf } from "./sleep_edf.ts";
import { loadSynthetic } from "./synthetic.ts";

/** Registry of dataset loaders by name; add a dataset with one line. */
export const DATASET_LOADERS: Record<string, DatasetLoader> = {
  synthetic: loadSynthetic,
  hapt: loadHapt,
  harth: loadHarth,
  mitdb: loadMitdb,
  afdb: loadAfdb,
  "sleep-edf": loadSleepEdf,
  dreams: loadDreamsDataset,
};

/**
 * Loads a featurised dataset by registry name.
 *
 * @example The synthetic dataset, featurised without touching the cache
 * ```ts
 * import { loadDataset } from "./registry.ts";
 *
 * const ds = await loadDataset("synthetic", { profile: "quick", seed: 1, cache: false });
 * console.log(ds.name, ds.classNames, ds.train.nSequences, ds.T, ds.F); // [n, T, F] in train.x
 * ```
 *
 * @returns sequences `train.x [n, T, F]`, `train.y [n, T]` (same for eval)
 *   and metadata; `meta.extra.cacheHit` says whether it came from the cache.
 * @throws {OptionError} for an unknown name or option.
 * @throws {MissingDataError} naming the expected files when data are absent.
 */
export async function loadDataset(
  name: string,
  options: LoadDatasetOptions = {},
): Promise<Dataset> {
  const loader = DATASET_LOADERS[name];
  if (!loader) {
    throw new OptionError(
      `unknown dataset ${JSON.stringify(name)}; known: ${Object.keys(DATASET_LOADERS).join(", ")}`,
    );
  }
  return await loader(options);
}
