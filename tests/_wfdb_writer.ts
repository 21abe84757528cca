/**
 * A WFDB writer for tests, written from the specification (signal(5),
 * header(5), annot(5)) in the encoding direction, so that the readers are
 * checked against files whose every byte is known: signal files in every
 * format, headers with samples per frame, skew and offsets, multi-segment
 * records (fixed and variable layout, gaps) and MIT annotation files.
 *
 * FLAC formats are encoded with libflacjs' encoder (reference libFLAC).
 *
 * @module
 */
import type * as FlacApi from "libflacjs/dist/libflac.js";
import { join } from "node:path";

/** One signal to write. `values` are the signal's samples, `[nFrames · spf]`. */
export interface SignalToWrite {
  name: string;
  format: number;
  values: number[];
  samplesPerFrame?: number;
  skew?: number;
  gain?: number;
  baseline?: number;
  units?: string;
  adcZero?: number;
  /** Signal file (default `<record>.dat`); signals sharing one are interleaved. */
  fileName?: string;
  /** Bytes of junk before the samples (written as `format+offset`). */
  byteOffset?: number;
}

/** Encodes interleaved samples in a plain format (format 8: `values` are the differences). */
export function encodeSamples(format: number, values: number[]): Uint8Array {
  const bytes: number[] = [];
  const le = (v: number, n: number) => {
    for (let k = 0; k < n; k++) bytes.push((v >> (8 * k)) & 0xff);
  };
  if (format === 212) {
    for (let i = 0; i < values.length; i += 2) {
      const s0 = values[i] & 0xfff;
      if (i + 1 === values.length) le(s0, 2); // A lone last sample takes a byte pair.
      else {
        const s1 = values[i + 1] & 0xfff;
        bytes.push(s0 & 0xff, (s0 >> 8) | ((s1 >> 8) << 4), s1 & 0xff);
      }
    }
  } else if (format === 310 || format === 311) {
    for (let i = 0; i < values.length; i += 3) {
      const [a, b = 0, c = 0] = values.slice(i, i + 3).map((v) => v & 0x3ff);
      const left = values.length - i;
      if (format === 310) {
        const w0 = (a << 1) | ((c & 0x1f) << 11), w1 = (b << 1) | ((c >> 5) << 11);
        le(w0, 2);
        if (left > 1) le(w1, 2);
      } else {
        const w = (a | (b << 10) | (c << 20)) >>> 0;
        le(w & 0xffff, 2);
        if (left > 1) le(w >>> 16, 2);
      }
    }
  } else {
    const width: Record<number, number> = { 8: 1, 80: 1, 16: 2, 61: 2, 160: 2, 24: 3, 32: 4 };
    for (const v of values) {
      if (format === 80) bytes.push((v + 128) & 0xff);
      else if (format === 160) le(v + 32768, 2);
      else if (format === 61) bytes.push((v >> 8) & 0xff, v & 0xff);
      else le(v, width[format]);
    }
  }
  return Uint8Array.from(bytes);
}

/** Encodes `[channels][n]` samples as a FLAC stream (libflacjs must be loaded). */
export function encodeFlac(flac: typeof FlacApi, channels: number[][], bits: number): Uint8Array {
  const n = channels[0].length;
  const encoder = flac.create_libflac_encoder(250, channels.length, bits, 5, n, true, 0);
  const chunks: Uint8Array[] = [];
  flac.init_encoder_stream(encoder, (data: Uint8Array) => {
    chunks.push(data.slice());
  });
  const interleaved = new Int32Array(n * channels.length);
  for (let t = 0; t < n; t++) {
    channels.forEach((c, k) => interleaved[t * channels.length + k] = c[t]);
  }
  flac.FLAC__stream_encoder_process_interleaved(encoder, interleaved, n);
  flac.FLAC__stream_encoder_finish(encoder);
  flac.FLAC__stream_encoder_delete(encoder);
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const sum16 = (xs: number[]): number => {
  const s = xs.reduce((a, v) => (a + v) & 0xffff, 0);
  return s > 32767 ? s - 65536 : s;
};

/**
 * Writes `dir/<name>.hea` and its signal files for `nFrames` frames. A signal
 * with skew `s` is stored `s` frames late (its first `s` stored frames repeat
 * its first value); every file holds `nFrames + max skew` frames, as WFDB reads them.
 */
export function writeRecord(
  dir: string,
  name: string,
  fs: number,
  nFrames: number,
  signals: SignalToWrite[],
  flac?: typeof FlacApi,
): string {
  const maxSkew = Math.max(0, ...signals.map((s) => s.skew ?? 0));
  const stored = signals.map((s) => {
    const spf = s.samplesPerFrame ?? 1, skew = s.skew ?? 0;
    // Padding repeats the first and last values (format 8 differences stay small).
    const pad = (k: number, v: number) => Array(k * spf).fill(v);
    return [...pad(skew, s.values[0]), ...s.values, ...pad(maxSkew - skew, s.values.at(-1)!)];
  });
  const files = new Map<string, number[]>();
  signals.forEach((s, i) => {
    const file = s.fileName ?? `${name}.dat`;
    files.set(file, [...(files.get(file) ?? []), i]);
  });
  for (const [file, members] of files) {
    const format = signals[members[0]].format;
    const spfs = members.map((i) => signals[i].samplesPerFrame ?? 1);
    const channels: number[][] = [];
    members.forEach((i, k) => {
      const data = format === 8 ? differences(stored[i]) : stored[i];
      for (let j = 0; j < spfs[k]; j++) {
        channels.push(Array.from({ length: nFrames + maxSkew }, (_, f) => data[f * spfs[k] + j]));
      }
    });
    let bytes: Uint8Array;
    if (format === 508 || format === 516 || format === 524) {
      if (flac === undefined) throw new Error("writeRecord: FLAC formats need libflacjs");
      bytes = encodeFlac(flac, channels, format - 500);
    } else {
      const interleaved = channels[0].flatMap((_, f) => channels.map((c) => c[f]));
      bytes = encodeSamples(format, interleaved);
    }
    const offset = signals[members[0]].byteOffset ?? 0;
    Deno.writeFileSync(join(dir, file), Uint8Array.from([...Array(offset).fill(0xaa), ...bytes]));
  }
  const lines = signals.map((s, i) => {
    const spf = s.samplesPerFrame ?? 1;
    const format = `${s.format}${spf > 1 ? `x${spf}` : ""}${s.skew ? `:${s.skew}` : ""}${
      s.byteOffset ? `+${s.byteOffset}` : ""
    }`;
    const initial = stored[i][0];
    const checksum = sum16(stored[i].slice(0, nFrames * spf));
    return `${s.fileName ?? `${name}.dat`} ${format} ${s.gain ?? 200}(${s.baseline ?? 0})/${
      s.units ?? "mV"
    } 16 ${s.adcZero ?? 0} ${initial} ${checksum} 0 ${s.name}`;
  });
  const header = [`${name} ${signals.length} ${fs} ${nFrames}`, ...lines].join("\n") + "\n";
  Deno.writeTextFileSync(join(dir, `${name}.hea`), header);
  return header;
}

/** First differences with the first sample as the initial value (`d[0] = 0`). */
function differences(values: number[]): number[] {
  return values.map((v, i) => {
    const d = i === 0 ? 0 : v - values[i - 1];
    if (d < -128 || d > 127) throw new RangeError(`format 8: difference ${d} at ${i}`);
    return d;
  });
}

/** A segment of a multi-segment record: a record to write, or a gap of `n` frames. */
export type SegmentToWrite =
  | { name: string; nFrames: number; signals: SignalToWrite[] }
  | { gap: number };

/**
 * Writes a multi-segment record: the master header, each segment record,
 * and for a variable layout (`layout` given) the layout header `<name>_layout`.
 */
export function writeMultiSegment(
  dir: string,
  name: string,
  fs: number,
  segments: SegmentToWrite[],
  layout?: { name: string; gain: number; baseline: number; units: string; spf?: number }[],
): void {
  const lines: string[] = [];
  if (layout !== undefined) {
    const signalLines = layout.map((s) =>
      `~ 0${
        (s.spf ?? 1) > 1 ? `x${s.spf}` : ""
      } ${s.gain}(${s.baseline})/${s.units} 16 0 0 0 0 ${s.name}`
    );
    Deno.writeTextFileSync(
      join(dir, `${name}_layout.hea`),
      [`${name}_layout ${layout.length} ${fs} 0`, ...signalLines].join("\n") + "\n",
    );
    lines.push(`${name}_layout 0`);
  }
  let total = 0;
  for (const segment of segments) {
    if ("gap" in segment) lines.push(`~ ${segment.gap}`);
    else {
      writeRecord(dir, segment.name, fs, segment.nFrames, segment.signals);
      lines.push(`${segment.name} ${segment.nFrames}`);
    }
    total += "gap" in segment ? segment.gap : segment.nFrames;
  }
  const nSignals = layout?.length ??
    segments.find((s): s is Exclude<SegmentToWrite, { gap: number }> => !("gap" in s))!.signals
      .length;
  Deno.writeTextFileSync(
    join(dir, `${name}.hea`),
    [`${name}/${segments.length + (layout ? 1 : 0)} ${nSignals} ${fs} ${total}`, ...lines].join(
      "\n",
    ) + "\n",
  );
}

/** One annotation to encode. */
export interface AnnotationToWrite {
  sample: number;
  code: number;
  aux?: string;
  subtype?: number;
  chan?: number;
  num?: number;
}

/**
 * Encodes MIT annotations: each as `code << 10 | interval` (LE 16-bit), a SKIP
 * word (59) with a signed 32-bit PDP-11-order interval when the interval is
 * negative or above 1023, then SUB/CHN/NUM/AUX words; ends with 0x0000.
 */
export function encodeAnnotations(annotations: AnnotationToWrite[]): Uint8Array {
  const bytes: number[] = [];
  const word = (a: number, i: number) => {
    const w = (a << 10) | (i & 0x3ff);
    bytes.push(w & 0xff, w >> 8);
  };
  let time = 0, chan = 0, num = 0;
  for (const a of annotations) {
    let interval = a.sample - time;
    while (interval < 0 || interval > 1023) {
      const v = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, interval));
      word(59, 0);
      const high = (v >> 16) & 0xffff, low = v & 0xffff;
      bytes.push(high & 0xff, high >> 8, low & 0xff, low >> 8);
      interval -= v;
    }
    word(a.code, interval);
    time = a.sample;
    if (a.subtype) word(61, a.subtype & 0xff);
    if ((a.chan ?? chan) !== chan) word(62, chan = a.chan!);
    if ((a.num ?? num) !== num) word(60, (num = a.num!) & 0xff);
    if (a.aux !== undefined) {
      const text = new TextEncoder().encode(a.aux);
      word(63, text.length);
      bytes.push(...text, ...(text.length % 2 ? [0] : []));
    }
  }
  word(0, 0);
  return Uint8Array.from(bytes);
}
