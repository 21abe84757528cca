/**
 * Trained encoder weights and their training log, cached under
 * `<cacheDir>/weights/<trainKey>/` so a change to the evaluation re-scores
 * cached runs without training again. The cache is local and untracked:
 * weights trained on DREAMS (CC BY-NC-ND) are never committed anywhere.
 *
 * Layout: `state.bin` = a little-endian `u32` header length, a JSON header
 * `{ entries: [{ name, shape }] }`, then every entry's float32 values in
 * header order; `training.json` = {@linkcode TrainingLog}. Both are written
 * atomically (temp file + rename); a damaged or foreign file reads as absent.
 *
 * @module
 */
import { join } from "node:path";
import { cacheDir } from "../paths.ts";
import { writeFileAtomic, writeJsonAtomic } from "../io.ts";
import type { StateDict } from "../encoders/mod.ts";
import type { ResultRecord } from "./record.ts";

/** What training produced besides the weights (copied into every record that uses them). */
export interface TrainingLog {
  trainKey: string;
  encoder: string;
  steps: number;
  training: ResultRecord["training"];
  trainSeconds: number;
}

/** Default weights folder: `<cacheDir>/weights`. */
export function weightsDir(): string {
  return join(cacheDir(), "weights");
}

/** Serialises a state dict: header length, JSON header, float32 values. */
export function encodeState(state: StateDict): Uint8Array {
  const names = Object.keys(state).sort();
  const header = new TextEncoder().encode(
    JSON.stringify({ entries: names.map((name) => ({ name, shape: state[name].shape })) }),
  );
  const total = names.reduce((a, n) => a + state[n].values.length, 0);
  const pad = (4 - ((4 + header.length) % 4)) % 4;
  const out = new Uint8Array(4 + header.length + pad + total * 4);
  new DataView(out.buffer).setUint32(0, header.length + pad, true);
  out.set(header, 4);
  out.fill(0x20, 4 + header.length, 4 + header.length + pad);
  const values = new Float32Array(out.buffer, 4 + header.length + pad, total);
  let at = 0;
  for (const n of names) {
    values.set(state[n].values, at);
    at += state[n].values.length;
  }
  return out;
}

/** Inverse of {@linkcode encodeState}; null when the bytes are not a well-formed state. */
export function decodeState(bytes: Uint8Array): StateDict | null {
  try {
    if (bytes.length < 4) return null;
    const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
    if (4 + headerLength > bytes.length || headerLength % 4 !== 0) return null;
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + headerLength))) as {
      entries: { name: string; shape: number[] }[];
    };
    const body = bytes.slice(4 + headerLength);
    if (body.length % 4 !== 0) return null;
    const values = new Float32Array(body.buffer);
    const state: StateDict = {};
    let at = 0;
    for (const { name, shape } of header.entries) {
      const size = shape.reduce((a, b) => a * b, 1);
      if (!Number.isInteger(size) || size < 0 || at + size > values.length) return null;
      state[name] = { shape, values: values.slice(at, at + size) };
      at += size;
    }
    return at === values.length ? state : null;
  } catch {
    return null;
  }
}

/** Reads cached weights and log for a training key, or null when absent or damaged. */
export async function readCachedWeights(
  trainKey: string,
  dir = weightsDir(),
): Promise<{ state: StateDict; log: TrainingLog } | null> {
  try {
    const log = JSON.parse(
      await Deno.readTextFile(join(dir, trainKey, "training.json")),
    ) as TrainingLog;
    if (log.trainKey !== trainKey) return null;
    const state = decodeState(await Deno.readFile(join(dir, trainKey, "state.bin")));
    return state ? { state, log } : null;
  } catch {
    return null;
  }
}

/** Writes weights, then the log (the log's presence marks a complete entry). */
export async function writeCachedWeights(
  state: StateDict,
  log: TrainingLog,
  dir = weightsDir(),
): Promise<void> {
  await writeFileAtomic(join(dir, log.trainKey, "state.bin"), encodeState(state));
  await writeJsonAtomic(join(dir, log.trainKey, "training.json"), log);
}
