/**
 * Structural check of a built report: it parses, holds one section per
 * expected notebook, at least one chart (inline SVG or PNG) per notebook, no
 * script and no external resource. Used by CI after `deno task report`.
 *
 * @module
 */
import { parseHTML } from "linkedom";
import { findExternalReferences } from "./resources.ts";

/** The outcome of {@linkcode checkReport}: an empty `problems` list means the report is sound. */
export interface ReportCheck {
  notebooks: { title: string; charts: number }[];
  problems: string[];
}

/**
 * Checks report HTML against the notebook titles it must contain (matched
 * against each notebook section's text, e.g. "01 · Data").
 */
export function checkReport(html: string, expectedTitles: string[]): ReportCheck {
  const problems: string[] = [];
  // linkedom's document is untyped here; only querySelectorAll/textContent are used
  const { document } = parseHTML(html) as unknown as {
    document: {
      querySelectorAll(
        sel: string,
      ): ArrayLike<
        { textContent: string | null; querySelectorAll(sel: string): ArrayLike<unknown> }
      >;
    };
  };
  const articles = Array.from(document.querySelectorAll("article.notebook"));
  const notebooks = expectedTitles.map((title) => {
    const article = articles.find((a) => (a.textContent ?? "").includes(title));
    if (!article) {
      problems.push(`no section for notebook "${title}"`);
      return { title, charts: 0 };
    }
    const charts = article.querySelectorAll("svg").length +
      article.querySelectorAll('img[src^="data:image/png"]').length;
    if (charts === 0) problems.push(`notebook "${title}" has no chart`);
    return { title, charts };
  });
  if (document.querySelectorAll("script").length) problems.push("the report contains <script>");
  const external = findExternalReferences(html);
  if (external.length) problems.push(`external references: ${external.slice(0, 5).join(", ")}`);
  return { notebooks, problems };
}
