/**
 * The report header: when, from which commit, on which runtime and backend,
 * from which data and at which profile the notebooks ran.
 *
 * @module
 */
import { dataDir, repoRoot as defaultRepoRoot } from "../paths.ts";
import { escapeHtml } from "./html.ts";

/** Provenance shown at the top of the report. */
export interface ReportHeader {
  /** When the notebooks ran (ISO 8601). */
  date: string;
  /** Git commit of the code (see {@linkcode gitCommit}). */
  commit: string;
  /** Deno version, e.g. "2.9.6". */
  denoVersion: string;
  /** TensorFlow.js version, e.g. "4.22.0". */
  tfjsVersion: string;
  /** Active tfjs backend: "webgpu", "wasm" or "cpu". */
  backend: string;
  /** WebGPU adapter description, or null off WebGPU. */
  adapter: string | null;
  /** Data directory the notebooks read. */
  dataDir: string;
  /** Study profile, e.g. "quick", "reduced" or "paper". */
  profile: string;
  /** Free-form remarks (deviations, warnings). */
  notes?: string[];
}

/**
 * The commit checked out in `repoRoot` (`git rev-parse HEAD`), followed by
 * " with uncommitted changes" when tracked files differ from it
 * (`git diff --quiet HEAD`), or "unknown" when git is missing or the folder
 * is not a repository.
 */
export async function gitCommit(repoRoot: string = defaultRepoRoot): Promise<string> {
  const git = (...args: string[]) =>
    new Deno.Command("git", { args, cwd: repoRoot, stdout: "piped", stderr: "null" }).output();
  try {
    const { success, stdout } = await git("rev-parse", "HEAD");
    const commit = new TextDecoder().decode(stdout).trim();
    if (!success || !/^[0-9a-f]{7,64}$/.test(commit)) return "unknown";
    const clean = (await git("diff", "--quiet", "HEAD")).success;
    return clean ? commit : `${commit} with uncommitted changes`;
  } catch {
    return "unknown";
  }
}

/** Options of {@linkcode collectHeader}: what the current process cannot know by itself. */
export interface CollectHeaderOptions {
  /** Backend the notebooks ran on (they run in their own kernel process). */
  backend: string;
  /** WebGPU adapter description, if any. */
  adapter?: string | null;
  /** Study profile. */
  profile: string;
  /** Data directory; default {@linkcode dataDir}(). */
  dataDir?: string;
  /** Remarks to show under the header. */
  notes?: string[];
  /** Repository whose commit is reported; default this repository. */
  repoRoot?: string;
  /** Run date; default now. */
  date?: Date;
}

/** Fills a {@linkcode ReportHeader} from git, `Deno.version` and the loaded tfjs. */
export async function collectHeader(options: CollectHeaderOptions): Promise<ReportHeader> {
  // Loaded on demand so that building a report does not load TensorFlow.js.
  const { tf } = await import("../tf.ts");
  return {
    date: (options.date ?? new Date()).toISOString(),
    commit: await gitCommit(options.repoRoot),
    denoVersion: Deno.version.deno,
    tfjsVersion: tf.version.tfjs,
    backend: options.backend,
    adapter: options.adapter ?? null,
    dataDir: options.dataDir ?? dataDir(),
    profile: options.profile,
    notes: options.notes ?? [],
  };
}

/** The header as an HTML definition list plus its notes. */
export function renderHeader(header: ReportHeader): string {
  const rows: [string, string][] = [
    ["Date", header.date],
    ["Commit", header.commit],
    ["Deno", header.denoVersion],
    ["TensorFlow.js", header.tfjsVersion],
    ["Backend", header.backend],
    ["Adapter", header.adapter ?? "none"],
    ["Data directory", header.dataDir],
    ["Profile", String(header.profile)],
  ];
  const dl = rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join("");
  const notes = header.notes?.length
    ? `<ul class="notes">${header.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>`
    : "";
  return `<dl class="provenance">${dl}</dl>${notes}`;
}
