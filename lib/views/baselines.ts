/**
 * The paper's baselines beside eMargin: whether eMargin beats every baseline
 * on the clustering indices (the paper's comparative claim), and each
 * baseline's shipped defects set against the untrained-encoder control.
 *
 * @module
 */
import { BASELINE_NAMES, BASELINES } from "../baselines/mod.ts";
import {
  type ClaimSpec,
  compareClaim,
  type ResultRecord,
  type Study,
  type StudyDataset,
  type Variant,
} from "../experiments/mod.ts";
import { datasetLabel, type Displayable, html, htmlTable } from "./display.ts";
import {
  formatEffect,
  holm,
  type PairedComparison,
  smallestSwapP,
  unitsForSwapP,
} from "../stats/mod.ts";
import { escapeHtml } from "../report/mod.ts";
import { formatNumber, formatSigned } from "./format.ts";

/** The verdict on "eMargin beats every baseline on a metric" for one dataset. */
export interface BaselineClaim {
  dataset: StudyDataset;
  /** The eMargin variant set against the baselines. */
  emargin: Variant;
  metric: "daviesBouldin" | "calinskiHarabasz" | "silhouette";
  /** Baselines with a paired comparison, and each one's Holm-adjusted p in the claimed direction. */
  compared: { baseline: Variant; cmp: PairedComparison; pAdjusted: number }[];
  /** Baselines without runs (or without comparable pairs). */
  missing: Variant[];
  /** Compared baselines whose estimate favours eMargin. */
  favoured: Variant[];
  verdict: "supported" | "contradicted" | "not resolved by this data" | "no data";
}

/** The familywise level of the verdict rows (Holm over the baselines). */
const LEVEL = 0.05;

const CLAIM_METRICS = [
  ["daviesBouldin", "less"],
  ["calinskiHarabasz", "greater"],
  ["silhouette", "greater"],
] as const;

/**
 * The eMargin variants the verdict rows set against the baselines: the
 * official formulation (the paper's numbers came from it) and the study's
 * stable form of the same loss, which stays finite where the reference's
 * embeddings do not (D3/D4).
 */
export const CLAIM_EMARGINS: readonly Variant[] = ["emargin-reference", "emargin-stable"];

/**
 * "`emargin` beats every baseline on DBI / CHI / silhouette", per
 * dataset: one paired comparison per baseline, Holm-corrected over the
 * baselines. Supported when every baseline has runs and every comparison is
 * significant in eMargin's favour (an intersection-union rule); contradicted
 * when some baseline is significantly better than eMargin; otherwise not
 * resolved.
 */
export function baselineClaims(
  records: readonly ResultRecord[],
  dataset: StudyDataset,
  emargin: Variant = "emargin-reference",
): BaselineClaim[] {
  return CLAIM_METRICS.map(([metric, direction]) => {
    const compared: BaselineClaim["compared"] = [];
    const missing: Variant[] = [];
    for (const b of BASELINE_NAMES) {
      const claim: ClaimSpec = {
        id: `beats-${b}`,
        topic: "paper",
        text: "",
        metric,
        a: emargin,
        b,
        direction,
      };
      const cmp = compareClaim(records, dataset, claim);
      if (typeof cmp === "string") missing.push(b);
      else compared.push({ baseline: b, cmp, pAdjusted: NaN });
    }
    const adjusted = holm(compared.map((c) => c.cmp.pValue));
    compared.forEach((c, i) => (c.pAdjusted = adjusted[i]));
    const favours = (c: BaselineClaim["compared"][number]) =>
      direction === "less" ? c.cmp.estimate < 0 : c.cmp.estimate > 0;
    const significant = compared.filter((c) => c.pAdjusted < LEVEL);
    const verdict: BaselineClaim["verdict"] = !compared.length
      ? "no data"
      : significant.some((c) => !favours(c))
      ? "contradicted"
      : !missing.length && significant.length === compared.length && compared.every(favours)
      ? "supported"
      : "not resolved by this data";
    const favoured = compared.filter(favours).map((c) => c.baseline);
    return { dataset, emargin, metric, compared, missing, favoured, verdict };
  });
}

const METRIC_NAME = { daviesBouldin: "DBI", calinskiHarabasz: "CHI", silhouette: "silhouette" };

/** {@linkcode baselineClaims} of every dataset as one table. */
export function baselineClaimsTable(study: Study): Displayable {
  const claims = study.datasets.flatMap((d) =>
    CLAIM_EMARGINS.flatMap((emargin) => baselineClaims(study.records, d, emargin))
  );
  const rows = claims.map((c) => [
    datasetLabel(c.dataset),
    `${c.emargin} beats every baseline on ${METRIC_NAME[c.metric]}`,
    c.verdict,
    c.compared.length ? `${c.favoured.length} of ${c.compared.length}` : "—",
    c.compared.map((x) =>
      `${x.baseline}: ${formatEffect({ ...x.cmp, pAdjusted: x.pAdjusted }, { digits: 3 })}`
    ).join("; ") || "—",
    c.missing.length ? c.missing.join(", ") : "none",
  ]);
  return html(
    `<p class="rule">${
      escapeHtml(
        "One paired comparison (eMargin − baseline) per baseline, Holm-corrected over " +
          "the baselines; the claim is supported only when every baseline was run and every " +
          "comparison favours eMargin significantly, contradicted when a baseline is " +
          "significantly better. emargin-reference is the official formulation; emargin-stable " +
          "the same loss in a form that stays finite (D3/D4).",
      )
    }</p><div class="table-scroll">${
      htmlTable(
        [
          "dataset",
          "claim",
          "verdict",
          "eMargin better than",
          "per baseline",
          "baselines without runs",
        ],
        rows,
      )
    }</div>${resolutionNote(claims)}`,
  );
}

/**
 * Why a verdict cannot be reached on the pairs at hand, generated from the
 * claims: with `n` (fold, seed) pairs an exact paired test cannot go below
 * `p = 2/2ⁿ`, and Holm over `K` baselines asks the smallest of them to pass
 * `0.05/K`. Empty when every comparison has pairs enough.
 */
export function resolutionText(claims: readonly BaselineClaim[]): string {
  const short = claims.filter((c) => {
    const fewest = Math.min(...c.compared.map((x) => x.cmp.pairs));
    return c.compared.length > 0 && smallestSwapP(fewest) >= LEVEL / c.compared.length;
  });
  if (!short.length) return "";
  const k = Math.max(...short.map((c) => c.compared.length));
  const fewest = Math.min(...short.flatMap((c) => c.compared.map((x) => x.cmp.pairs)));
  const datasets = [...new Set(short.map((c) => datasetLabel(c.dataset)))].join(", ");
  return `On ${datasets}, some baselines have only ${fewest} (fold, seed) pair${
    fewest === 1 ? "" : "s"
  } with eMargin: an exact paired test then cannot go below p = ${
    formatNumber(smallestSwapP(fewest))
  }, and Holm over ${k} baselines needs p < ${formatNumber(LEVEL / k)}, which takes at least ${
    unitsForSwapP(LEVEL / k)
  } pairs per baseline. These rows cannot be resolved by the runs at hand whatever the effects; ` +
    `how many baselines eMargin is better than gives their direction.`;
}

/** {@linkcode resolutionText} as a note under the verdict table (empty when there is none). */
export function resolutionNote(claims: readonly BaselineClaim[]): string {
  const text = resolutionText(claims);
  return text ? `<p class="note">${escapeHtml(text)}</p>` : "";
}

/**
 * The front page's headline on the paper's comparative claim, generated
 * from {@linkcode baselineClaims} for every dataset and eMargin form: the
 * verdicts, how many baselines each form is better than per index, and
 * {@linkcode resolutionText}. Null when no baseline has runs.
 */
export function baselineHeadline(study: Study): { title: string; text: string } | null {
  const all: BaselineClaim[] = [];
  const parts = study.datasets.map((dataset) => {
    const forms = CLAIM_EMARGINS.map((emargin) => {
      const claims = baselineClaims(study.records, dataset, emargin);
      all.push(...claims);
      if (claims.every((c) => !c.compared.length)) return `${emargin}: no data`;
      const verdicts = [...new Set(claims.map((c) => c.verdict))].join(" / ");
      const better = claims.map((c) =>
        `${c.favoured.length} of ${c.compared.length} on ${METRIC_NAME[c.metric]}`
      ).join(", ");
      return `${emargin}: ${verdicts} (better than ${better})`;
    });
    return `${datasetLabel(dataset)}: ${forms.join("; ")}`;
  });
  if (all.every((c) => !c.compared.length)) return null;
  const note = resolutionText(all);
  return {
    title:
      "The paper's comparative claim (eMargin beats every baseline on DBI, CHI and silhouette)",
    text: `${parts.join(". ")}.${note ? ` ${note}` : ""}`,
  };
}

/**
 * Each baseline's shipped defects beside its distance from the untrained
 * FeatureProjector (`random-encoder`): a baseline whose probe and DBI sit at
 * the control's cannot have learned much, whatever the paper's table says.
 */
export function baselineDefectsTable(study: Study): Displayable {
  const rows = study.datasets.flatMap((dataset) =>
    BASELINE_NAMES.map((b) => {
      const vs = (metric: "balancedAccuracy" | "daviesBouldin") => {
        const cmp = compareClaim(study.records, dataset, {
          id: "",
          topic: "controls",
          text: "",
          metric,
          a: b,
          b: "random-encoder",
          direction: "greater",
        });
        return typeof cmp === "string"
          ? cmp
          : `${formatSigned(cmp.estimate)} [${formatNumber(cmp.lower)}, ${
            formatNumber(cmp.upper)
          }]`;
      };
      return [
        datasetLabel(dataset),
        `${b} (${BASELINES[b].specSection})`,
        BASELINES[b].defects.join(" "),
        vs("balancedAccuracy"),
        vs("daviesBouldin"),
      ];
    })
  );
  return html(
    `<div class="table-scroll">${
      htmlTable(
        [
          "dataset",
          "baseline",
          "defects of the shipped code",
          "Δ balanced accuracy vs random-encoder",
          "Δ DBI vs random-encoder",
        ],
        rows,
        {
          caption: "The baselines' defects against the untrained-encoder yardstick (paired, 95 %)",
        },
      )
    }</div>`,
  );
}
