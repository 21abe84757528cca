/**
 * The WFDB readers, now in `./wfdb/`; this path is kept so that existing
 * imports keep working. New code imports `./wfdb/mod.ts` (or `lib/data/mod.ts`).
 *
 * @module
 */
export * from "./wfdb/mod.ts";
