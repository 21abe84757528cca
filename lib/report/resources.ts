/**
 * Self-containment check: finds what in an HTML fragment would run a script or
 * fetch a resource from outside the document.
 *
 * @module
 */
import { parseDocument } from "./dom.ts";

/** Elements that run code, embed other documents or pull in stylesheets. */
const FORBIDDEN_ELEMENTS = new Set([
  "script",
  "link",
  "iframe",
  "frame",
  "frameset",
  "object",
  "embed",
  "applet",
  "base",
  "portal",
]);

/** Attributes whose value a browser fetches as a resource. */
const RESOURCE_ATTRIBUTES = new Set(["src", "srcset", "poster", "background", "data", "action"]);

/** A reference that stays inside the document: a fragment or inline `data:` bytes. */
function isInline(url: string): boolean {
  const u = url.trim().toLowerCase();
  return u === "" || u.startsWith("#") || u.startsWith("data:");
}

/** `url(...)` targets and `@import` rules inside CSS text. */
function externalCss(css: string): string[] {
  const found: string[] = [];
  for (const m of css.matchAll(/url\(\s*(['"]?)(.*?)\1\s*\)/gi)) {
    if (!isInline(m[2])) found.push(`url(${m[2]})`);
  }
  if (/@import/i.test(css)) found.push("@import");
  return found;
}

function short(value: string): string {
  return JSON.stringify(value.length > 60 ? value.slice(0, 57) + "..." : value);
}

/**
 * Lists everything in `html` that is not self-contained: script-running
 * elements and attributes (`<script>`, `on*=`, `javascript:` links), embedded
 * or linked documents (`<link>`, `<iframe>`, `<object>`…) and resource URLs
 * (`src`, `srcset`, `poster`, SVG `href`/`xlink:href`, CSS `url()`/`@import`)
 * that point anywhere but `data:` or `#fragment`. Plain navigation links
 * (`<a href="https://…">`) are allowed: they load nothing when the page is viewed.
 * `html` is a fragment or a whole document (starting with `<!doctype` or `<html`).
 * Returns an empty list for self-contained markup.
 */
export function findExternalReferences(html: string): string[] {
  const isDocument = /^\s*(<!doctype|<html)/i.test(html);
  const document = parseDocument(
    isDocument ? html : `<!doctype html><html><head></head><body>${html}</body></html>`,
  );
  const found: string[] = [];
  for (const el of document.querySelectorAll("*")) {
    const tag = el.localName.toLowerCase();
    if (FORBIDDEN_ELEMENTS.has(tag)) {
      found.push(`<${tag}>`);
      continue;
    }
    if (tag === "meta" && el.getAttribute("http-equiv")) found.push("<meta http-equiv>");
    if (tag === "style") found.push(...externalCss(el.textContent ?? ""));
    for (const attr of Array.from(el.attributes)) {
      const name = attr.name.toLowerCase();
      const value = attr.value;
      if (name.startsWith("on")) found.push(`${tag} ${name}`);
      else if (name === "style") found.push(...externalCss(value));
      else if (name === "href" || name.endsWith(":href")) {
        if (/^\s*(javascript|vbscript):/i.test(value)) found.push(`${tag} ${name}=${short(value)}`);
        else if (tag !== "a" && !isInline(value)) found.push(`${tag} ${name}=${short(value)}`);
      } else if (RESOURCE_ATTRIBUTES.has(name)) {
        const urls = name === "srcset"
          ? value.split(",").map((part) => part.trim().split(/\s+/)[0])
          : [value];
        if (urls.some((url) => !isInline(url))) found.push(`${tag} ${name}=${short(value)}`);
      }
    }
  }
  return found;
}
