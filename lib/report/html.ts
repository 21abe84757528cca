/**
 * Text-to-HTML helpers: escaping and removal of terminal colour codes.
 *
 * @module
 */

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes `& < > " '` so that `text` is inert in element content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

// ECMA-48 escape sequences, written out here because the grammar is three
// alternatives and a dependency would add nothing: CSI (`ESC [` params,
// intermediates, final byte: colours, cursor moves), OSC (`ESC ]` … BEL or
// `ESC \`: hyperlinks, titles) and the two-byte `ESC X` forms. The 8-bit CSI
// introducer U+009B is matched too.
// deno-lint-ignore no-control-regex
const ANSI = /(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/** Removes ANSI/ECMA-48 escape sequences (colours, cursor moves, OSC links) from `text`. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

/**
 * Resolves carriage returns the way a terminal shows them: on each line only
 * the text after the last inner `\r` remains (progress bars collapse to their final state).
 */
export function resolveCarriageReturns(text: string): string {
  return text.replace(/\r\n/g, "\n").split("\n").map((line) => {
    const shown = line.replace(/\r+$/, "");
    return shown.slice(shown.lastIndexOf("\r") + 1);
  }).join("\n");
}

/** Terminal output as HTML text: escape codes removed, `\r` resolved, then escaped. */
export function terminalTextToHtml(text: string): string {
  return escapeHtml(resolveCarriageReturns(stripAnsi(text)));
}
