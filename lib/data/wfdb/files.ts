/**
 * Reading the files of a WFDB record, with a message that says which files
 * are missing and how to fetch them.
 *
 * @module
 */
import { basename, dirname } from "node:path";
import { MissingDataError } from "../../errors.ts";
import { readRegularFileSync } from "../../io.ts";

/** Datasets in WFDB format that `deno task data` fetches (lib/data/downloads.json). */
const WFDB_DATASETS = new Set(["mitdb", "afdb"]);

/**
 * Reads a record file, or explains which files are missing and how to get them.
 *
 * @param path the file to read
 * @param expected the record's files, named in the message when `path` is absent
 * @throws MissingDataError when the file or its directory is absent
 * @throws NotRegularFileError (a DataFormatError) when the path is a directory, FIFO or device
 */
export function readRecordFile(path: string, expected: string[]): Uint8Array {
  try {
    // A FIFO, device or directory in place of a record file is refused, not read forever.
    return readRegularFileSync(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    const dir = dirname(path);
    const dataset = basename(dir);
    const how = WFDB_DATASETS.has(dataset)
      ? `run \`deno task data --only ${dataset}\``
      : "run `deno task data` (datasets listed in lib/data/downloads.json)";
    const where = existsDir(dir) ? `${path} not found` : `data directory ${dir} does not exist`;
    throw new MissingDataError(`${where}; expected ${expected.join(", ")} in ${dir}; ${how}`);
  }
}

function existsDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}
