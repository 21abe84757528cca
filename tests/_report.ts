/**
 * Test helpers for the report's tests: the header of a report built on this
 * machine from made-up inputs.
 *
 * @module
 */
import type { ReportHeader } from "../lib/report/mod.ts";

/**
 * The header of a quick-profile report built at `date` by this Deno on the
 * cpu backend, outside a git checkout (`commit: "unknown"`), with data in `/data`.
 *
 * @example
 * ```ts
 * const header = localHeader("2026-12-04T20:00:00.000Z");
 * ```
 */
export function localHeader(date: string): ReportHeader {
  return {
    date,
    commit: "unknown",
    denoVersion: Deno.version.deno,
    tfjsVersion: "4.22.0",
    backend: "cpu",
    adapter: null,
    dataDir: "/data",
    profile: "quick",
  };
}
