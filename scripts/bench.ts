/**
 * `deno task bench [--only a,b] [--out FILE]`: runs the benchmark sections and
 * prints one table per section; writes all rows as JSON (default
 * `bench-results/bench.json`, atomically).
 *
 * Sections live in `bench/<name>.ts` and export `bench<Name>()` returning
 * `{ rows }`. Speed and memory targets are checked here, never in tests.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, join } from "node:path";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { repoRoot } from "../lib/paths.ts";
import { writeJsonAtomic } from "../lib/io.ts";

/** One benchmark section's result. */
export interface BenchSection {
  rows: Record<string, unknown>[];
  /** Further tables of the section, printed after `rows` under their titles. */
  tables?: Record<string, Record<string, unknown>[]>;
  notes?: string[];
}

const SECTIONS: Record<string, string> = {
  train: "benchTrain",
  losses: "benchLosses",
  losses_fast: "benchLossesFast",
  grid: "benchGrid",
  data: "benchData",
  dreams: "benchDreams",
  notebook: "benchNotebook",
  torch: "benchTorch",
  backend_overhead: "benchBackendOverhead",
  stats: "benchStats",
  probe: "benchProbe",
  baselines: "benchBaselines",
  webgpu_counts: "benchWebgpuCounts",
  step_parts: "benchStepParts",
  eval: "benchEval",
  gemm: "benchGemm",
};

function formatCell(v: unknown): string {
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4);
  }
  if (v !== null && typeof v === "object") return JSON.stringify(v);
  return v === null || v === undefined ? "" : String(v);
}

/** Renders rows as a plain-text table. */
export function formatTable(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return "(no rows)";
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cells = rows.map((r) => cols.map((c) => formatCell(r[c])));
  const width = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (xs: string[]) => xs.map((x, i) => x.padEnd(width[i])).join("  ");
  return [line(cols), line(width.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

/** Runs one section in this process and returns its result (or its error). */
async function runSection(name: string): Promise<BenchSection | { error: string }> {
  try {
    const mod = await import(`../bench/${name}.ts`);
    return await (mod[SECTIONS[name]] as () => Promise<BenchSection>)();
  } catch (err) {
    return { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

/**
 * Runs one section in a fresh Deno process, so that memory figures (RSS) and
 * JIT state of one section do not leak into the next; returns its result.
 */
async function runSectionIsolated(name: string): Promise<BenchSection | { error: string }> {
  const out = await Deno.makeTempFile({ suffix: ".json" });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        fileURLToPath(import.meta.url),
        "--only",
        name,
        "--in-process",
        "--out",
        out,
      ],
      stdout: "inherit",
      stderr: "inherit",
    });
    const status = await child.output();
    if (!status.success) return { error: `section process exited with code ${status.code}` };
    const parsed = JSON.parse(await Deno.readTextFile(out)) as {
      sections: Record<string, BenchSection | { error: string }>;
    };
    return parsed.sections[name] ?? { error: "section wrote no result" };
  } finally {
    await Deno.remove(out).catch(() => {});
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      only: { type: "string" },
      out: { type: "string" },
      "in-process": { type: "boolean", default: false },
    },
  });
  const only = values.only?.split(",").map((s) => s.trim());
  const out = values.out ?? join(repoRoot, "bench-results", "bench.json");
  const results: Record<string, BenchSection | { error: string }> = {};
  for (const name of Object.keys(SECTIONS)) {
    if (only && !only.includes(name)) continue;
    if (!existsSync(join(repoRoot, "bench", `${name}.ts`))) continue;
    if (values["in-process"]) {
      results[name] = await runSection(name);
      continue;
    }
    console.log(`\n## ${name}`);
    const section = await runSectionIsolated(name);
    results[name] = section;
    if ("error" in section) console.log(`section failed: ${section.error}`);
    else {
      console.log(formatTable(section.rows));
      for (const [title, rows] of Object.entries(section.tables ?? {})) {
        console.log(`\n### ${title}\n${formatTable(rows)}`);
      }
      for (const note of section.notes ?? []) console.log(`note: ${note}`);
    }
  }
  await Deno.mkdir(dirname(out), { recursive: true });
  await writeJsonAtomic(out, {
    date: new Date().toISOString(),
    deno: Deno.version.deno,
    sections: results,
  });
  if (!values["in-process"]) console.log(`\nwrote ${out}`);
}
