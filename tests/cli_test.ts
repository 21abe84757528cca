/**
 * The scripts' command lines (issue #21, finding 6): every misuse — a bad
 * number, a bad shard, a missing folder, an `--out` that is a file, an
 * unknown option — exits 2 with one line on stderr before any work; `--data`
 * wins over `$EMARGIN_DATA`. And (issue #20) quick and reduced reports go to
 * the git-ignored `reports/quick/` by default.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { repoRoot, sharedDatasetsDir } from "../lib/paths.ts";
import { chooseDataDir, parseReportArgs, reportOutDir } from "../scripts/report_args.ts";
import { UsageError } from "../scripts/_cli.ts";
import { withTempDir } from "./_util.ts";

interface Run {
  code: number;
  stderr: string;
}

async function runScript(
  script: string,
  args: string[],
  env: Record<string, string>,
): Promise<Run> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(repoRoot, "scripts", script), ...args],
    cwd: repoRoot,
    env: { NO_COLOR: "1", ...env },
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code, stderr: new TextDecoder().decode(stderr) };
}

/** Asserts exit code 2 and a single stderr line matching `message`. */
function assertMisuse({ code, stderr }: Run, message: RegExp, label: string): void {
  assert.equal(code, 2, `${label}: exit ${code}, stderr ${stderr}`);
  const lines = stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `${label}: ${lines.length} lines: ${stderr}`);
  assert.match(lines[0], message, label);
  assert.doesNotMatch(stderr, /\bat .*\.ts:\d+/, `${label}: a stack trace`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("cli: `deno task report` misuse exits 2 with one line, before any work", async () => {
  await withTempDir("emargin-cli-", async (dir) => {
    const cache = join(dir, "cache");
    const file = join(dir, "a-file");
    await Deno.writeTextFile(file, "keep\n");
    const env = { EMARGIN_CACHE: cache, EMARGIN_DATA: sharedDatasetsDir() };
    const cases: [string[], RegExp][] = [
      [["--workers", "abc"], /^--workers "abc": expected an integer ≥ 1$/],
      [["--workers", "0"], /^--workers "0": expected an integer ≥ 1$/],
      [["--workers", "2.5", "--shard", "1/2"], /^--workers "2\.5"/],
      [["--shard", "3/2"], /^--shard "3\/2": expected i\/n with 1 ≤ i ≤ n/],
      [["--shard", "x"], /^--shard "x": expected i\/n/],
      [["--data", join(dir, "missing")], /^--data .*missing: no such directory$/],
      [["--data", file], /^--data .*a-file: not a directory$/],
      [["--out", file], /^--out .*a-file: exists and is not a directory$/],
      [["--bogus"], /Unknown option '--bogus'/],
      [["--profile", "full"], /^--profile full: expected one of quick, reduced, paper$/],
      [["--refresh", "--cached-only"], /contradict each other/],
      [["stray"], /^unexpected argument stray \(only --merge takes folders\)$/],
      [["--merge", join(dir, "nope")], /^--merge .*nope: no such directory$/],
      [["--timeout", "soon"], /^--timeout "soon": expected a positive number of seconds$/],
      [["--datasets", "hapt,nope"], /^--datasets hapt,nope: expected names among /],
      [["--variants", "infonce,nope"], /^--variants infonce,nope: expected names among /],
    ];
    for (const [args, message] of cases) {
      assertMisuse(await runScript("report.ts", args, env), message, args.join(" "));
    }
    // A missing $EMARGIN_DATA is misuse too; with --data given it is not consulted.
    assertMisuse(
      await runScript("report.ts", ["--profile", "quick"], {
        ...env,
        EMARGIN_DATA: join(dir, "gone"),
      }),
      /^EMARGIN_DATA .*gone: no such directory$/,
      "EMARGIN_DATA missing",
    );
    assert.ok(!(await exists(cache)), "the cache was written");
    assert.equal(await Deno.readTextFile(file), "keep\n");
  });
});

Deno.test("cli: `--data DIR` wins over EMARGIN_DATA, even when DIR holds no dataset", async () => {
  await withTempDir("emargin-cli-", async (dir) => {
    const empty = join(dir, "empty");
    await Deno.mkdir(empty);
    const shared = sharedDatasetsDir();
    const fromData = chooseDataDir(empty, shared);
    assert.deepEqual([fromData.dir, fromData.datasets], [null, ["synthetic"]]);
    assert.match(fromData.note ?? "", /^--data: no known dataset in .*empty; using the synthetic/);
    const fromEnv = chooseDataDir(undefined, shared);
    assert.equal(fromEnv.dir, shared);
    assert.ok(fromEnv.datasets.includes("dreams"));
    assert.equal(chooseDataDir(shared, join(dir, "gone")).dir, shared);
    assert.throws(() => chooseDataDir(undefined, join(dir, "gone")), UsageError);
    // The script says and does the same: a cached-only shard on the synthetic dataset.
    const run = await runScript(
      "report.ts",
      ["--data", empty, "--profile", "quick", "--shard", "1/1", "--cached-only"],
      { EMARGIN_CACHE: join(dir, "cache"), EMARGIN_DATA: shared },
    );
    assert.match(run.stderr, /^data: synthetic \(no real data found\); datasets: synthetic$/m);
    assert.doesNotMatch(run.stderr, /dreams|hapt|mitdb/);
  });
});

Deno.test("report: quick and reduced builds default to the git-ignored reports/quick/, paper to reports/", async () => {
  assert.equal(reportOutDir("quick"), join(repoRoot, "reports", "quick"));
  assert.equal(reportOutDir("reduced"), join(repoRoot, "reports", "quick"));
  assert.equal(reportOutDir("paper"), join(repoRoot, "reports"));
  assert.equal(reportOutDir("quick", "reports"), join(Deno.cwd(), "reports"));
  assert.equal(parseReportArgs(["--profile", "quick"]).out, undefined);
  // git ignores what a quick build writes, and tracks the committed study.
  const ignored = async (path: string) =>
    (await new Deno.Command("git", {
      args: ["check-ignore", "-q", path],
      cwd: repoRoot,
      stdout: "null",
      stderr: "null",
    }).output()).code === 0;
  assert.ok(await ignored("reports/quick/index.html"));
  assert.ok(await ignored("reports/quick/results.json"));
  assert.ok(!(await ignored("reports/index.html")));
});

Deno.test("cli: parseReportArgs returns checked values", () => {
  const args = parseReportArgs(
    ["--workers", "3", "--shard", "2/4", "--timeout", "90", "--datasets", "hapt, mitdb"],
  );
  assert.deepEqual(
    [args.workers, args.shard, args.timeoutSeconds, args.datasets, args.merge],
    [3, { index: 2, count: 4 }, 90, ["hapt", "mitdb"], []],
  );
  assert.deepEqual(parseReportArgs(["--variants", "raw-features, cpc"]).variants, [
    "raw-features",
    "cpc",
  ]);
});

Deno.test("cli: `deno task data` misuse exits 2 with one line, before any download", async () => {
  await withTempDir("emargin-cli-", async (dir) => {
    const file = join(dir, "a-file");
    await Deno.writeTextFile(file, "{}");
    const target = join(dir, "data");
    const common = ["--dir", target, "--only", "mitdb"];
    const cases: [string[], RegExp][] = [
      [[...common, "--retries", "x"], /^--retries "x": expected an integer ≥ 0$/],
      [[...common, "--connect-timeout", "0"], /^--connect-timeout "0": expected a positive/],
      [[...common, "--idle-timeout", "abc"], /^--idle-timeout "abc": expected a positive/],
      [["--dir", file], /^--dir .*a-file: exists and is not a directory$/],
      [
        [...common, "--manifest", join(dir, "none.json")],
        /^--manifest .*none\.json: no such file$/,
      ],
      [[...common, "--manifest", dir], /^--manifest .*: not a regular file$/],
      [[...common, "--manifest", file], /^--manifest: .*a-file: datasets: expected an object/],
      [[...common, "--bogus"], /Unknown option '--bogus'/],
      [["--dir", target, "--only", "nope"], /^unknown dataset\(s\) nope; known: /],
    ];
    for (const [args, message] of cases) {
      assertMisuse(await runScript("data.ts", args, {}), message, args.join(" "));
    }
    assert.ok(!(await exists(target)), "the data folder was created");
  });
});

Deno.test("cli: `deno task data` against a server that never answers ends at --connect-timeout, naming the URL", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) conns.push(conn);
  })().catch(() => {});
  try {
    await withTempDir("emargin-cli-", async (dir) => {
      const base = `http://127.0.0.1:${listener.addr.port}/`;
      const manifest = {
        about: "test",
        datasets: {
          demo: {
            title: "demo",
            homepage: base,
            licence: "none",
            citation: "none",
            baseUrl: base,
            hashSource: "test",
            files: [{ path: "a.bin", sha256: "0".repeat(64) }],
          },
        },
      };
      const manifestPath = join(dir, "manifest.json");
      await Deno.writeTextFile(manifestPath, JSON.stringify(manifest));
      const t0 = performance.now();
      const run = await runScript("data.ts", [
        "--manifest",
        manifestPath,
        "--dir",
        join(dir, "data"),
        "--connect-timeout",
        "0.5",
        "--retries",
        "1",
      ], {});
      const seconds = (performance.now() - t0) / 1000;
      assert.equal(run.code, 1, run.stderr);
      assert.ok(
        run.stderr.includes(`DownloadTimeoutError: ${base}a.bin: no response within 0.5 s`),
        run.stderr,
      );
      assert.match(run.stderr, /gave up after 2 attempts/);
      assert.ok(seconds < 20, `took ${seconds} s`);
      assert.equal(conns.length, 2);
      assert.deepEqual([...Deno.readDirSync(join(dir, "data", "demo"))], []);
    });
  } finally {
    listener.close();
    for (const conn of conns) conn.close();
    await accepting;
  }
});

Deno.test("cli: `deno task notebooks` misuse exits 2 with one line, before any notebook runs", async () => {
  await withTempDir("emargin-cli-", async (dir) => {
    const notebook = join(repoRoot, "tests", "fixtures", "notebooks", "error.ipynb");
    const file = join(dir, "a-file");
    await Deno.writeTextFile(file, "keep\n");
    const out = join(dir, "out");
    const cases: [string[], RegExp][] = [
      [[join(dir, "missing.ipynb")], /^notebook .*missing\.ipynb: no such file$/],
      [[dir], /^notebook .*: not a regular file$/],
      [[notebook, "--out", file], /^--out .*a-file: exists and is not a directory$/],
      [[notebook, "--out", out, "--timeout", "abc"], /^--timeout "abc": expected a positive/],
      [[notebook, "--out", out, "--param", "novalue"], /^--param: parameter "novalue"/],
      [[notebook, "--out", out, "--bogus"], /Unknown option '--bogus'/],
      [[], /^usage: deno task notebooks/],
    ];
    for (const [args, message] of cases) {
      assertMisuse(await runScript("notebooks.ts", args, {}), message, args.join(" "));
    }
    assert.ok(!(await exists(out)));
    assert.equal(await Deno.readTextFile(file), "keep\n");
  });
});
