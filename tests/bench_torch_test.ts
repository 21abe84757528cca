import assert from "node:assert/strict";
import { fastestRows } from "../bench/torch.ts";

Deno.test("torch rows: each step and product at its fastest over the processes, with the slowest beside it", () => {
  const result = (rows: Record<string, unknown>[]) =>
    ({ torch: "1.13", cores: 2, config: "", parallel: "", rows }) as Parameters<
      typeof fastestRows
    >[0][number];
  const step = (variant: string, ms: number) => ({
    dataset: "SleepEEG",
    variant,
    threads: 1,
    msPerStep: ms,
    cpuMsPerStep: ms + 1,
  });
  const rows = fastestRows([
    result([step("infonce", 120), step("emargin-reference", 177), {
      gemm: "a",
      threads: 1,
      ms: 16,
    }]),
    result([step("infonce", 118), step("emargin-reference", 102), {
      gemm: "a",
      threads: 1,
      ms: 15,
    }]),
    result([step("infonce", 125), step("emargin-reference", 105), {
      gemm: "a",
      threads: 1,
      ms: 17,
    }]),
  ]);
  const byKey = new Map(rows.map((r) => [r.gemm ?? r.variant, r]));
  assert.equal(byKey.get("infonce")?.msPerStep, 118);
  assert.equal(byKey.get("infonce")?.cpuMsPerStep, 119, "the fastest process's CPU time with it");
  assert.equal(byKey.get("infonce")?.slowestMs, 125);
  assert.equal(byKey.get("emargin-reference")?.msPerStep, 102);
  assert.equal(byKey.get("emargin-reference")?.slowestMs, 177);
  assert.equal(byKey.get("a")?.ms, 15);
  assert.equal(rows.length, 3);
});
