/**
 * The few DOM members the report reads from `linkedom`, typed here because
 * Deno's type environment has no `lib.dom` (linkedom's `document` is untyped in it).
 *
 * @module
 */
import { parseHTML } from "linkedom";

/** An element of a parsed document. */
export interface DomElement {
  readonly localName: string;
  readonly outerHTML: string;
  readonly textContent: string | null;
  readonly attributes: ArrayLike<{ name: string; value: string }>;
  readonly children: ArrayLike<DomElement>;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  querySelector(selectors: string): DomElement | null;
  querySelectorAll(selectors: string): ArrayLike<DomElement> & Iterable<DomElement>;
}

/** A parsed document. */
export interface DomDocument {
  readonly documentElement: DomElement;
  readonly body: DomElement;
  querySelector(selectors: string): DomElement | null;
  querySelectorAll(selectors: string): ArrayLike<DomElement> & Iterable<DomElement>;
}

/** Parses an HTML document (or a fragment, which lands in `<body>`) with linkedom. */
export function parseDocument(html: string): DomDocument {
  return (parseHTML(html) as unknown as { document: DomDocument }).document;
}
