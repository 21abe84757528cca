/**
 * The report's front page: the question, what the build covers, the
 * headline findings (each with its effect and interval) and the main results
 * table — every sentence generated from the records.
 *
 * @module
 */
import {
  isExcluded,
  type JudgedClaim,
  onSharedFolds,
  sharedFolds,
  type Study,
  VARIANT_TABLE,
} from "../experiments/mod.ts";
import type { StudyDataset } from "../experiments/mod.ts";
import { datasetLabel, type Displayable, html } from "./display.ts";
import { PAPER_DOMAINS } from "./coverage.ts";
import { escapeHtml } from "../report/mod.ts";
import { formatClaimEffect, studyClaims, VERDICT_RULE } from "./claims.ts";
import { mainResults, studyEvidence, symbolHtml } from "./evidence.ts";
import { foldList, foldsLabel } from "./folds.ts";
import { formatNumber } from "./format.ts";
import { baselineHeadline } from "./baselines.ts";

/** One headline: a sentence and the claims behind it. */
export interface Headline {
  title: string;
  text: string;
}

function byVerdict(claims: JudgedClaim[]): string {
  const groups = new Map<string, string[]>();
  const variants = new Set(claims.map((c) => c.a)).size > 1;
  for (const c of claims) {
    const v = c.effect ? c.effect.verdict : "no data";
    groups.set(v, [
      ...(groups.get(v) ?? []),
      `${variants ? `${c.a}, ` : ""}${datasetLabel(c.dataset)} (${formatClaimEffect(c)})`,
    ]);
  }
  return [...groups.entries()].map(([v, where]) => `${v} on ${where.join("; ")}`).join(". ");
}

/** The headline findings, generated from the judged claims. */
export function headlines(study: Study): Headline[] {
  const claims = studyClaims(study);
  const pick = (id: string) => claims.filter((c) => c.id === id);
  const out: Headline[] = [
    {
      title: "The paper's clustering claim (eMargin beats InfoNCE on DBI)",
      text: byVerdict(pick("dbi")),
    },
    {
      title: "The paper's probe claim (eMargin loses the linear probe to InfoNCE)",
      text: `Converged probe, balanced accuracy: ${byVerdict(pick("probe"))}. ` +
        `Reference protocol (spec §2.5), accuracy: ${byVerdict(pick("probe-reference"))}.`,
    },
    {
      title: "Does the clustering gain track the classes? (NMI, effective rank)",
      text: `NMI higher for eMargin: ${byVerdict(pick("nmi"))}. Lower effective rank (collapse): ${
        byVerdict(pick("rank"))
      }.`,
    },
  ];
  const raw = claims.filter((c) => c.topic === "controls" && c.id.endsWith("-raw"));
  const supported = raw.filter((c) => c.effect?.verdict === "supported");
  out.push({
    title: "Do the learned embeddings beat the raw input features?",
    text: supported.length
      ? `Supported for ${
        supported.map((c) => `${c.a} on ${datasetLabel(c.dataset)} (${formatClaimEffect(c)})`)
          .join("; ")
      }; every other method × dataset pair is not resolved or contradicted: ${
        byVerdict(raw.filter((c) => !supported.includes(c)))
      }.`
      : `No method is shown to beat the raw features on any dataset: ${byVerdict(raw)}.`,
  });
  const baselines = baselineHeadline(study);
  if (baselines) out.push(baselines);
  out.push({
    title: "The margin's mechanism (probe near label changes)",
    text: byVerdict(pick("boundary")),
  });
  const atChance = study.datasets.map((d) => chanceNote(study, d)).filter((t) => t !== null);
  if (atChance.length) {
    out.push({ title: "Where the probe cannot tell the variants apart", text: atChance.join(" ") });
  }
  return out;
}

/** Up to this above 1/k, a balanced accuracy is no better than a constant prediction's. */
const CHANCE_MARGIN = 0.01;

/**
 * A sentence when every row's probe on the dataset's shared folds scores no
 * better than chance (balanced accuracy at most 1/k + {@linkcode CHANCE_MARGIN}, k the
 * classes scored): the probe comparisons there say nothing about the
 * variants. Null otherwise.
 */
export function chanceNote(study: Study, dataset: StudyDataset): string | null {
  const records = onSharedFolds(study.records, [dataset])
    .filter((r) => r.config.dataset === dataset && r.probe && !isExcluded(r));
  if (!records.length) return null;
  const k = Math.max(...records.map((r) => r.probe!.support.filter((n) => n > 0).length));
  const scores = studyEvidence(study, dataset).map((e) => e.intervals.balancedAccuracy?.estimate)
    .filter((v): v is number => v !== undefined);
  if (!scores.length || scores.some((v) => v > 1 / k + CHANCE_MARGIN)) return null;
  const lo = Math.min(...scores), hi = Math.max(...scores);
  const range = lo === hi ? formatNumber(lo) : `${formatNumber(lo)}–${formatNumber(hi)}`;
  const { shared, computed } = sharedFolds(study.records, dataset);
  const controls = studyEvidence(study, dataset, { allFolds: true })
    .filter((e) => VARIANT_TABLE[e.variant].role === "control")
    .map((e) => e.intervals.balancedAccuracy?.estimate)
    .filter((v): v is number => v !== undefined);
  const elsewhere = computed.length > shared.length && controls.length
    ? ` Over ${foldList(computed)}, the controls average up to ${
      formatNumber(Math.max(...controls))
    } (see "The controls on every fold").`
    : "";
  return `On ${datasetLabel(dataset)}, ${foldsLabel(study, dataset)}, every probe, the controls' ` +
    `included, scores no better than chance (balanced accuracy ${range} against 1/${k}, what a constant ` +
    `prediction scores), so the probe comparisons there cannot separate the variants.${elsewhere}`;
}

/** The front page as one display object. */
export function frontPage(study: Study): Displayable {
  const covered = PAPER_DOMAINS.map(({ domain, paper, standIn }) => {
    const has = (d: string) => study.datasets.includes(d as never);
    const n = (d: string) => study.records.filter((r) => r.config.dataset === d).length;
    const used = has(paper) ? paper : has(standIn) ? standIn : null;
    return used
      ? `${domain}: ${datasetLabel(used)}${
        used === standIn ? ` (stands in for ${datasetLabel(paper)}, absent here)` : ""
      }, ${n(used)} runs`
      : `${domain}: no data in this build`;
  });
  const synthetic = study.datasets.includes("synthetic")
    ? "<p><strong>No real dataset was found: every number below is on the seeded synthetic dataset and checks the pipeline only.</strong></p>"
    : "";
  const items = headlines(study).map((h) =>
    `<li><strong>${escapeHtml(h.title)}.</strong> ${escapeHtml(h.text)}</li>`
  ).join("");
  return html(
    `<section class="front-page"><h2>Summary</h2>${synthetic}` +
      `<p>The question: does eMargin's adaptive margin, added to InfoNCE over adjacent time steps, ` +
      `give embeddings that cluster better (the paper's claim) without probing worse, and do the ` +
      `learned embeddings beat simple controls? Profile: ${escapeHtml(study.profile)}; ` +
      `${study.records.length} runs, ${study.failures.length} not computed.</p>` +
      `<p>${escapeHtml(covered.join(". "))}.</p>` +
      `<h3>Main results</h3>${symbolHtml(mainResults(study))}` +
      `<h3>Headline findings</h3><ul class="headlines">${items}</ul>` +
      `<p class="rule">${escapeHtml(VERDICT_RULE)}</p></section>`,
  );
}
