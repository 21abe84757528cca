/**
 * PyTorch CPU reference timings on this machine (bench/torch_reference.py),
 * measured in the same bench run as ours so ratios compare like with like.
 * Skipped with a clear message when `python3` cannot import torch
 * (`apt-get install python3-torch`).
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** Row of the torch section. */
export type TorchRow = Record<string, unknown>;

/** Runs the PyTorch reference timings, or returns a skip note when torch is absent. */
export async function benchTorch(): Promise<{ rows: TorchRow[]; notes: string[] }> {
  const script = fileURLToPath(new URL("./torch_reference.py", import.meta.url));
  for (const python of ["/usr/bin/python3", "python3"]) {
    let out: Deno.CommandOutput;
    try {
      out = await new Deno.Command(python, { args: [script], stdout: "piped", stderr: "piped" })
        .output();
    } catch {
      continue;
    }
    const stderr = new TextDecoder().decode(out.stderr);
    if (!out.success) {
      if (/No module named 'torch'/.test(stderr)) continue;
      throw new Error(`${python} ${script} failed: ${stderr.slice(-500)}`);
    }
    const result = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      torch: string;
      threads: number;
      rows: TorchRow[];
    };
    return {
      rows: result.rows.map((r) => ({ ...r, torch: result.torch, threads: result.threads })),
      notes: [`PyTorch ${result.torch} on CPU with ${result.threads} threads (${python})`],
    };
  }
  return {
    rows: [],
    notes: ["PyTorch comparison skipped: no python3 with torch (apt-get install python3-torch)"],
  };
}
