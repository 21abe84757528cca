/**
 * Size limits of the sources, measured with the TypeScript parser: lines per
 * file and lines per function (declarations, function expressions, arrow
 * functions, methods, constructors and accessors). A literal table inside a
 * function — an object or array literal of at least {@linkcode TABLE_LINES}
 * lines holding no function — is data, not code, and does not count.
 *
 * @module
 */
import { join, relative } from "node:path";
import ts from "typescript";

/** A literal this long, holding no function, counts as a table. */
export const TABLE_LINES = 10;

/** One function over the limit. */
export interface LongFunction {
  /** Path relative to the root, e.g. `lib/data/edf.ts`. */
  file: string;
  /** Qualified name: enclosing classes and functions joined by ` > `, e.g. `loadHapt > featurise`. */
  name: string;
  /** 1-based line where the function starts. */
  line: number;
  /** Lines counted (its span minus literal tables). */
  lines: number;
}

const FUNCTION_KINDS = new Set([
  ts.SyntaxKind.FunctionDeclaration,
  ts.SyntaxKind.FunctionExpression,
  ts.SyntaxKind.ArrowFunction,
  ts.SyntaxKind.MethodDeclaration,
  ts.SyntaxKind.Constructor,
  ts.SyntaxKind.GetAccessor,
  ts.SyntaxKind.SetAccessor,
]);

function isFunction(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return FUNCTION_KINDS.has(node.kind);
}

function nameText(name: ts.Node | undefined, sf: ts.SourceFile): string | undefined {
  return name === undefined ? undefined : name.getText(sf);
}

/** The name a function goes by: its own, its variable's or property's, or its call's. */
function functionName(node: ts.FunctionLikeDeclaration, sf: ts.SourceFile): string {
  if (node.kind === ts.SyntaxKind.Constructor) return "constructor";
  const own = nameText(node.name, sf);
  if (own) return own;
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) {
    return nameText(parent.name, sf) ?? "<anonymous>";
  }
  if (ts.isCallExpression(parent) || ts.isNewExpression(parent)) {
    const callee = parent.expression.getText(sf).replace(/\s+/g, "");
    return `<callback of ${callee.length > 40 ? `…${callee.slice(-40)}` : callee}>`;
  }
  return "<anonymous>";
}

function lineOf(sf: ts.SourceFile, pos: number): number {
  return sf.getLineAndCharacterOfPosition(pos).line + 1;
}

function containsFunction(node: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (isFunction(n)) found = true;
    else ts.forEachChild(n, visit);
  };
  ts.forEachChild(node, visit);
  return found;
}

/** Lines of the literal tables inside `body` (outermost tables only). */
function tableLines(body: ts.Node, sf: ts.SourceFile): number {
  let lines = 0;
  const visit = (n: ts.Node): void => {
    if (isFunction(n)) return; // measured on its own
    if (ts.isObjectLiteralExpression(n) || ts.isArrayLiteralExpression(n)) {
      const span = lineOf(sf, n.end) - lineOf(sf, n.getStart(sf)) + 1;
      if (span >= TABLE_LINES && !containsFunction(n)) {
        lines += span;
        return;
      }
    }
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(body, visit);
  return lines;
}

/**
 * Every function of `source` longer than `maxLines` lines (from its first
 * token to its closing brace, JSDoc excluded, literal tables excluded).
 */
export function longFunctions(source: string, file: string, maxLines: number): LongFunction[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: LongFunction[] = [];
  const visit = (node: ts.Node, outer: string[]): void => {
    let names = outer;
    if (ts.isClassDeclaration(node) || ts.isClassExpression(node)) {
      names = [...outer, node.name?.getText(sf) ?? "<class>"];
    } else if (isFunction(node)) {
      names = [...outer, functionName(node, sf)];
      const start = lineOf(sf, node.getStart(sf));
      const span = lineOf(sf, node.end) - start + 1;
      const lines = span - (node.body ? tableLines(node.body, sf) : 0);
      if (lines > maxLines) found.push({ file, name: names.join(" > "), line: start, lines });
    }
    ts.forEachChild(node, (child) => visit(child, names));
  };
  visit(sf, []);
  return found;
}

/** A function named in an allow-list of long functions. */
export interface KnownLongFunction {
  file: string;
  name: string;
}

/**
 * Compares the long functions found with an allow-list: `unlisted` are long
 * and not listed, `stale` are listed but gone or no longer long.
 */
export function againstKnown(
  found: readonly LongFunction[],
  known: readonly KnownLongFunction[],
): { unlisted: string[]; stale: string[] } {
  const key = (f: KnownLongFunction) => `${f.file}: ${f.name}`;
  const listed = new Set(known.map(key));
  const present = new Set(found.map(key));
  return {
    unlisted: found.filter((f) => !listed.has(key(f)))
      .map((f) => `${key(f)} (line ${f.line}, ${f.lines} lines)`),
    stale: known.map(key).filter((k) => !present.has(k)),
  };
}

/** Lines of a source text (a final newline ends the last line). */
export function lineCount(source: string): number {
  if (source === "") return 0;
  return source.split("\n").length - (source.endsWith("\n") ? 1 : 0);
}

/** Every `.ts` file under `dir` (recursively), as paths relative to `root`, sorted. */
export async function sourceFiles(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (path: string): Promise<void> => {
    for await (const entry of Deno.readDir(path)) {
      const child = join(path, entry.name);
      if (entry.isDirectory) await walk(child);
      else if (entry.isFile && entry.name.endsWith(".ts")) out.push(relative(root, child));
    }
  };
  await walk(join(root, dir));
  return out.sort();
}
