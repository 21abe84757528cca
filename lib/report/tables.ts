/**
 * Table layout for the report: every `<table>` inside its own horizontal
 * scroll box, so a wide table scrolls instead of pushing past the text column,
 * and columns holding only numbers (`0.123`, `2.5 ± 0.1`, `12/12`, `0.61 ★`)
 * get class `num`: right-aligned and never wrapped.
 *
 * Works on the markup as text: the report's tables come from our own views
 * and from markdown, with plain `<td>` cells, and parsing and re-serialising
 * the whole page through a DOM would rewrite every chart's SVG.
 *
 * @module
 */

/** A number, optionally with a spread, a fraction, a unit of rate, a rank mark. */
const NUMERIC = new RegExp(
  "^[−+-]?(\\d[\\d,]*\\.?\\d*|\\.\\d+)(e[−+-]?\\d+)?" + // 1,234.5e-3
    "(\\s*(±|/)\\s*[−+-]?(\\d[\\d,]*\\.?\\d*|\\.\\d+)(e[−+-]?\\d+)?)?" + // ± 0.1, /12
    "(\\s*(%|s|it/s))?(\\s*★)?$",
  "i",
);

/** Whether a cell's text is a number in one of the report's forms. */
export function isNumericCell(text: string): boolean {
  const t = text.trim();
  return t === "—" || t === "NaN" || /^[−+-]?Inf$/.test(t) || NUMERIC.test(t);
}

/** Indices of the columns whose body cells are all plain numbers (and not all "—"). */
function numericColumns(rows: string[][]): Set<number> {
  const columns = new Set<number>();
  const width = Math.max(0, ...rows.map((r) => r.length));
  for (let c = 0; c < width; c++) {
    const cells = rows.map((r) => r[c]).filter((v) => v !== undefined);
    const plain = cells.every((v) => !v.includes("<") && isNumericCell(v));
    if (cells.length && plain && cells.some((v) => v.trim() !== "—")) columns.add(c);
  }
  return columns;
}

const ROW = /<tr(\s[^>]*)?>([\s\S]*?)<\/tr>/g;
const CELL = /<(td|th)(\s[^>]*)?>([\s\S]*?)<\/\1>/g;

/** Marks the cells of one table's numeric columns (body and header) with `class="num"`. */
function alignNumbers(table: string): string {
  if (table.indexOf("<table", 1) >= 0) return table; // nested: left as it is
  const body = [...table.matchAll(ROW)].map((row) =>
    [...row[2].matchAll(CELL)].map((cell) => cell[1] === "td" ? cell[3] : undefined)
  ).filter((cells) => cells.some((v) => v !== undefined));
  const numeric = numericColumns(body.map((r) => r.map((v) => v ?? "")));
  if (!numeric.size) return table;
  return table.replace(ROW, (_row: string, attrs: string | undefined, inner: string) => {
    let c = 0;
    const cells = inner.replace(CELL, (cell: string, tag: string, cellAttrs?: string) => {
      const mark = numeric.has(c++) && !cellAttrs;
      return mark ? cell.replace(`<${tag}>`, `<${tag} class="num">`) : cell;
    });
    return `<tr${attrs ?? ""}>${cells}</tr>`;
  });
}

/**
 * Wraps each `<table …>…</table>` in `<div class="table-scroll">` and marks
 * the cells of columns that hold only numbers with `class="num"` (right-
 * aligned, not wrapped). Apply once to a fragment.
 *
 * @example
 * ```ts
 * import { layoutTables } from "./tables.ts";
 * layoutTables("<table><tr><th>a</th><th>b</th></tr><tr><td>x</td><td>0.5 ± 0.1</td></tr></table>");
 * // '<div class="table-scroll"><table><tr><th>a</th><th class="num">b</th></tr>' +
 * //   '<tr><td>x</td><td class="num">0.5 ± 0.1</td></tr></table></div>'
 * ```
 */
export function layoutTables(html: string): string {
  return html
    .replace(/<table[\s>][\s\S]*?<\/table>/g, alignNumbers)
    .replace(/<table(?=[\s>])/g, '<div class="table-scroll"><table')
    .replace(/<\/table>/g, "</table></div>");
}
