/**
 * `deno task data [--only NAME[,NAME…]] [--dir DIR] [--trust-on-first-use] [--list] [--manifest FILE]
 * [--connect-timeout S] [--idle-timeout S] [--retries N]`
 *
 * Downloads the datasets of `lib/data/downloads.json` into DIR (default: the
 * data directory, `$EMARGIN_DATA` or `data/`), verifying every file by SHA-256
 * and resuming interrupted transfers. Files already present and verified are
 * skipped. A file with no published hash is refused unless
 * `--trust-on-first-use` is given; its hash is then recorded in
 * `DIR/downloads.lock.json` and checked on every later run. `--manifest`
 * reads another manifest of the same form (a mirror, say) instead. Each
 * transfer waits at most `--connect-timeout` seconds for the server's answer
 * (default 30) and `--idle-timeout` seconds for more bytes (default 60), and
 * is retried `--retries` times (default 3) with backoff. Every option is
 * checked before any download; misuse prints one line and exits 2.
 *
 * @module
 */
import { dataDir } from "../lib/paths.ts";
import {
  DOWNLOAD_DEFAULTS,
  downloadDataset,
  type DownloadManifest,
  type DownloadProgress,
  readDownloadManifest,
} from "../lib/data/mod.ts";
import { DataFormatError, EmarginError } from "../lib/errors.ts";
import {
  existingFile,
  integerOption,
  outputDirectory,
  parseCommandLine,
  runMain,
  secondsOption,
  UsageError,
} from "./_cli.ts";

const USAGE = "usage: deno task data [--only NAME[,NAME…]] [--dir DIR] [--trust-on-first-use] " +
  "[--list] [--manifest FILE] [--connect-timeout S] [--idle-timeout S] [--retries N]";

function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

function formatSeconds(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return "?";
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${Math.round(s % 60)}s` : `${Math.round(s)}s`;
}

/** One progress line, rewritten in place at most ten times a second. */
function progressPrinter(dataset: string): (file: string, p: DownloadProgress) => void {
  let last = 0;
  const encoder = new TextEncoder();
  return (file, p) => {
    const now = performance.now();
    if (now - last < 100 && p.bytes !== p.total) return;
    last = now;
    const done = p.total === undefined
      ? formatBytes(p.bytes)
      : `${formatBytes(p.bytes)} / ${formatBytes(p.total)}`;
    const line = `${dataset}/${file}: ${done}, ${formatBytes(p.rate)}/s, ETA ${
      formatSeconds(p.etaSeconds)
    }`;
    Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${line}`));
  };
}

/** The command line, checked before anything is fetched. */
function parseDataArgs(args: string[]) {
  const { values } = parseCommandLine({
    args,
    strict: true,
    options: {
      only: { type: "string", multiple: true },
      dir: { type: "string" },
      manifest: { type: "string" },
      "trust-on-first-use": { type: "boolean", default: false },
      list: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
      "connect-timeout": { type: "string" },
      "idle-timeout": { type: "string" },
      retries: { type: "string" },
    },
  });
  const ms = (option: string, text: string | undefined, fallback: number) =>
    text === undefined ? fallback : 1000 * secondsOption(option, text);
  const transfer = {
    connectTimeoutMs: ms(
      "--connect-timeout",
      values["connect-timeout"],
      DOWNLOAD_DEFAULTS.connectTimeoutMs,
    ),
    idleTimeoutMs: ms("--idle-timeout", values["idle-timeout"], DOWNLOAD_DEFAULTS.idleTimeoutMs),
    retries: values.retries === undefined
      ? DOWNLOAD_DEFAULTS.retries
      : integerOption("--retries", values.retries, 0),
  };
  const dir = outputDirectory("--dir", values.dir ?? dataDir());
  let manifest: DownloadManifest;
  try {
    manifest = values.manifest === undefined
      ? readDownloadManifest()
      : readDownloadManifest(existingFile("--manifest", values.manifest));
  } catch (e) {
    if (e instanceof DataFormatError) throw new UsageError(`--manifest: ${e.message}`);
    throw e;
  }
  const known = Object.keys(manifest.datasets);
  const names = (values.only ?? known).flatMap((s) => s.split(",")).filter((s) => s !== "");
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new UsageError(`unknown dataset(s) ${unknown.join(", ")}; known: ${known.join(", ")}`);
  }
  return { values, transfer, dir, manifest, names };
}

async function main(args: string[]): Promise<number> {
  const { values, transfer, dir, manifest, names } = parseDataArgs(args);
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.list) {
    for (const name of names) {
      const { title, files } = manifest.datasets[name];
      const unverified = files.filter((f) => f.sha256 === null).length;
      console.log(
        `${name}: ${title} (${files.length} files, ${unverified} without a published hash)`,
      );
    }
    return 0;
  }
  let failed = 0;
  for (const name of names) {
    const started = performance.now();
    try {
      const results = await downloadDataset(manifest, name, dir, {
        ...transfer,
        trustOnFirstUse: values["trust-on-first-use"],
        onProgress: progressPrinter(name),
      });
      const fetched = results.filter((r) => r.downloaded);
      const bytes = fetched.reduce((sum, r) => sum + r.transferred, 0);
      console.error(
        `\r\x1b[2K${name}: ${results.length} files verified in ${dir}/${name} ` +
          `(${fetched.length} downloaded, ${formatBytes(bytes)}, ${
            ((performance.now() - started) / 1000).toFixed(1)
          } s)`,
      );
    } catch (e) {
      if (!(e instanceof EmarginError)) throw e;
      console.error(`\r\x1b[2K${name}: ${e.name}: ${e.message}`);
      failed++;
    }
  }
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) await runMain(() => main(Deno.args));
