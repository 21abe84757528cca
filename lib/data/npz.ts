/**
 * Reader of NumPy `.npy` arrays and `.npz` archives (a zip of `.npy` files,
 * stored or deflated; unzipped with `fflate`).
 *
 * Supported: format versions 1.0–3.0, C order, little- and big-endian
 * `float32`, `float64`, `int8`, `uint8`, `int16`, `int32`, `int64` and `bool`.
 * `int64` arrays are returned as `BigInt64Array` (no lossy conversion; use
 * {@linkcode toFloat64} or {@linkcode toInt32} for checked conversions).
 * Fortran-order arrays, object arrays and other dtypes are rejected.
 *
 * Sizes are capped before anything is inflated or allocated: an archive
 * member's inflated size as the zip directory declares it (fflate inflates
 * into a buffer of exactly that size), and an array's `∏ shape · itemsize` as
 * its header declares it, each at most `maxBytes` (default
 * {@linkcode NPY_MAX_BYTES}, raised by the caller for larger data).
 *
 * @module
 */
import { unzipSync } from "fflate";
import { DataFormatError, MissingDataError, SizeLimitError } from "../errors.ts";
import { readRegularFileSync } from "../io.ts";

/** Default cap on the bytes an archive inflates to, or an array holds: 512 MiB. */
export const NPY_MAX_BYTES: number = 512 * 1024 * 1024;

/** Options of the npy/npz readers. */
export interface NpyReadOptions {
  /** Largest array, archive or total inflated size accepted (bytes; default {@linkcode NPY_MAX_BYTES}). */
  maxBytes?: number;
}

const RAISE = "raise the maxBytes option to read larger arrays";

/** Element type of a decoded array. */
export type NpyDtype =
  | "float32"
  | "float64"
  | "int8"
  | "uint8"
  | "int16"
  | "int32"
  | "int64"
  | "bool";

/** One decoded array, C order. */
export interface NpyArray {
  dtype: NpyDtype;
  /** Dimensions; `[]` for a scalar. */
  shape: number[];
  /** `∏ shape` elements in C order (`bool` as 0/1 bytes). */
  data:
    | Float32Array
    | Float64Array
    | Int8Array
    | Uint8Array
    | Int16Array
    | Int32Array
    | BigInt64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

const DTYPES: Record<string, { dtype: NpyDtype; size: number }> = {
  f4: { dtype: "float32", size: 4 },
  f8: { dtype: "float64", size: 8 },
  i1: { dtype: "int8", size: 1 },
  u1: { dtype: "uint8", size: 1 },
  b1: { dtype: "bool", size: 1 },
  i2: { dtype: "int16", size: 2 },
  i4: { dtype: "int32", size: 4 },
  i8: { dtype: "int64", size: 8 },
};

/**
 * Decodes one `.npy` file: magic, version, little-endian header length
 * (2 bytes in v1, 4 in v2/v3), a Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`, then exactly
 * `∏ shape · itemsize` data bytes.
 *
 * @param bytes the file's bytes.
 * @param file name used in errors.
 * @throws {SizeLimitError} when the declared shape holds more than `maxBytes`.
 * @throws {DataFormatError} naming the field that is wrong.
 */
export function parseNpy(
  bytes: Uint8Array,
  file: string,
  { maxBytes = NPY_MAX_BYTES }: NpyReadOptions = {},
): NpyArray {
  const { major, prefix, dataOffset } = npyPreamble(bytes, file);
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(
    bytes.subarray(prefix, dataOffset),
  );
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined) {
    throw new DataFormatError(file, "header descr", "'descr': '<f4' or similar", header.trim());
  }
  if (fortran === undefined) {
    throw new DataFormatError(file, "header fortran_order", "True or False", header.trim());
  }
  if (shapeText === undefined) {
    throw new DataFormatError(file, "header shape", "a tuple of integers", header.trim());
  }
  if (fortran === "True") {
    throw new DataFormatError(
      file,
      "header fortran_order",
      "False (C order; save with np.ascontiguousarray)",
      "True",
    );
  }
  const m = /^([<>|=])([a-z]\d+)$/.exec(descr);
  const kind = m ? DTYPES[m[2]] : undefined;
  if (!m || !kind) {
    throw new DataFormatError(
      file,
      "header descr",
      `one of ${Object.keys(DTYPES).join(", ")} with a byte order`,
      descr,
    );
  }
  const bigEndian = m[1] === ">";
  const dims = shapeText.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const shape = dims.map((s) => {
    if (!/^\d+$/.test(s)) {
      throw new DataFormatError(file, "header shape", "non-negative integers", `(${shapeText})`);
    }
    return Number(s);
  });
  const count = shape.reduce((a, b) => a * b, 1);
  const nBytes = count * kind.size;
  if (nBytes > maxBytes) {
    throw new SizeLimitError(
      file,
      "header shape",
      `at most ${maxBytes} bytes of data (${RAISE})`,
      `${nBytes} bytes for shape (${shape.join(", ")}) of ${descr}`,
    );
  }
  if (!Number.isSafeInteger(nBytes) || bytes.length - dataOffset !== nBytes) {
    throw new DataFormatError(
      file,
      "data",
      `${nBytes} bytes for shape (${shape.join(", ")}) of ${descr}`,
      `${bytes.length - dataOffset} bytes`,
    );
  }
  const data = decodeData(bytes.subarray(dataOffset, dataOffset + nBytes), kind, bigEndian, file);
  return { dtype: kind.dtype, shape, data };
}

/** Checks magic, version and header length; returns where the header and data start. */
function npyPreamble(
  bytes: Uint8Array,
  file: string,
): { major: number; prefix: number; dataOffset: number } {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new DataFormatError(
      file,
      "magic",
      "\\x93NUMPY followed by a version and header",
      `${bytes.length} bytes`,
    );
  }
  const major = bytes[6];
  if (major < 1 || major > 3) {
    throw new DataFormatError(file, "version", "1.0, 2.0 or 3.0", `${major}.${bytes[7]}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const prefix = major === 1 ? 10 : 12;
  if (bytes.length < prefix) {
    throw new DataFormatError(
      file,
      "header length",
      `${prefix} bytes of preamble`,
      `${bytes.length}`,
    );
  }
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = prefix + headerLength;
  if (dataOffset > bytes.length) {
    throw new DataFormatError(
      file,
      "header",
      `${headerLength} header bytes`,
      `${bytes.length - prefix} bytes left`,
    );
  }
  return { major, prefix, dataOffset };
}

/** Copies the data bytes into an aligned typed array of `kind`, swapping big-endian bytes. */
function decodeData(
  bytes: Uint8Array,
  kind: { dtype: NpyDtype; size: number },
  bigEndian: boolean,
  file: string,
): NpyArray["data"] {
  const raw = bytes.slice(); // copy: aligned, detached from the archive
  if (bigEndian && kind.size > 1) {
    for (let i = 0; i < raw.length; i += kind.size) raw.subarray(i, i + kind.size).reverse();
  }
  const buffer = raw.buffer;
  const data = kind.dtype === "float32"
    ? new Float32Array(buffer)
    : kind.dtype === "float64"
    ? new Float64Array(buffer)
    : kind.dtype === "int8"
    ? new Int8Array(buffer)
    : kind.dtype === "int16"
    ? new Int16Array(buffer)
    : kind.dtype === "int32"
    ? new Int32Array(buffer)
    : kind.dtype === "int64"
    ? new BigInt64Array(buffer)
    : new Uint8Array(buffer);
  if (kind.dtype === "bool" && data.some((b) => b > 1)) {
    throw new DataFormatError(file, "data", "bool bytes 0 or 1", "other byte values");
  }
  return data;
}

/**
 * Reads a `.npz` archive (path or bytes): every member `name.npy` becomes
 * `result[name]`. The members' declared inflated sizes together must stay
 * within `maxBytes`; that is checked before any member is inflated.
 *
 * @throws {MissingDataError} when the path does not exist.
 * @throws {NotRegularFileError} for a directory, FIFO or device (nothing is read).
 * @throws {SizeLimitError} for an archive, member or array over `maxBytes`.
 * @throws {DataFormatError} when the zip or a member is malformed.
 * @example
 * ```ts
 * const { x } = readNpz("data/harth/S006.npz", { maxBytes: 2 ** 31 });
 * ```
 */
export function readNpz(
  pathOrBytes: string | Uint8Array,
  { maxBytes = NPY_MAX_BYTES }: NpyReadOptions = {},
): Record<string, NpyArray> {
  const file = typeof pathOrBytes === "string" ? pathOrBytes : "<npz bytes>";
  const bytes = typeof pathOrBytes === "string"
    ? readGuarded(pathOrBytes, maxBytes, "an .npz archive")
    : pathOrBytes;
  let members: Record<string, Uint8Array>;
  let inflated = 0;
  try {
    members = unzipSync(bytes, {
      filter({ name, originalSize }) {
        inflated += originalSize;
        if (inflated > maxBytes) {
          throw new SizeLimitError(
            file,
            `member ${name}`,
            `at most ${maxBytes} bytes inflated in all (${RAISE})`,
            `${originalSize} bytes declared, ${inflated} so far`,
          );
        }
        return true;
      },
    });
  } catch (err) {
    if (err instanceof DataFormatError) throw err;
    throw new DataFormatError(
      file,
      "zip archive",
      "a valid zip (.npz) file",
      (err as Error).message,
    );
  }
  const out: Record<string, NpyArray> = {};
  for (const [name, content] of Object.entries(members)) {
    if (!name.endsWith(".npy")) {
      throw new DataFormatError(file, `member ${name}`, "only .npy members", name);
    }
    out[name.slice(0, -4)] = parseNpy(content, `${file}:${name}`, { maxBytes });
  }
  return out;
}

/** A regular file of at most `maxBytes`, or MissingDataError naming what was expected. */
function readGuarded(path: string, maxBytes: number, what: string): Uint8Array {
  try {
    return readRegularFileSync(path, { maxBytes, limitOption: "the maxBytes option" });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new MissingDataError(`${path} not found (${what} was expected)`);
    }
    throw err;
  }
}

/** Reads one `.npy` file from a path (see {@linkcode parseNpy}); refuses what {@linkcode readNpz} refuses. */
export function readNpy(path: string, options: NpyReadOptions = {}): NpyArray {
  const maxBytes = options.maxBytes ?? NPY_MAX_BYTES;
  // The header is at most a few KiB on top of the data.
  return parseNpy(readGuarded(path, maxBytes + (1 << 20), "an .npy file"), path, { maxBytes });
}

/** Converts any array to float64; `int64` values beyond ±2⁵³ throw (they would round). */
export function toFloat64(array: NpyArray, name = "array"): Float64Array {
  const { data } = array;
  if (data instanceof BigInt64Array) {
    const out = new Float64Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new DataFormatError(name, `element ${i}`, "an int64 within ±2^53", String(v));
      }
      out[i] = Number(v);
    }
    return out;
  }
  return Float64Array.from(data as ArrayLike<number>);
}

/** Converts an integer array to int32; values outside the int32 range throw. */
export function toInt32(array: NpyArray, name = "array"): Int32Array {
  if (array.dtype === "float32" || array.dtype === "float64") {
    throw new DataFormatError(name, "dtype", "an integer dtype", array.dtype);
  }
  const values = toFloat64(array, name);
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    if (values[i] > 2147483647 || values[i] < -2147483648) {
      throw new DataFormatError(
        name,
        `element ${i}`,
        "a value in the int32 range",
        String(values[i]),
      );
    }
    out[i] = values[i];
  }
  return out;
}
