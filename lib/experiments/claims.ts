/**
 * The study's claims as data, and their verdicts: each claim is a paired
 * comparison of two variants on one quantity, per dataset, over the (fold,
 * seed) runs both have; the whole family (every claim × dataset) is
 * Holm-corrected. A verdict reads "supported", "contradicted" or "not
 * resolved by this data".
 *
 * @module
 */
import {
  type AdjustedEffect,
  judgeFamily,
  type PairedComparison,
  pairedDifference,
  pairedRunLevel,
  type PMethod,
  resamplesForFamily,
  type Verdict,
} from "../stats/mod.ts";
import { DegenerateInputError, ShapeError } from "../errors.ts";
import type { StudyDataset, Variant } from "./config.ts";
import type { ResultRecord } from "./record.ts";
import {
  BOOTSTRAP_SEED,
  type EvidenceMetric,
  groupedRun,
  isGroupedMetric,
  RESAMPLES,
  runsOf,
  runValue,
  TABLE_METRIC,
} from "./evidence.ts";

/** What a claim is about (tables group by it). */
export type ClaimTopic = "paper" | "mechanism" | "variants" | "controls" | "ablation";

/** One claim: `metric(a) − metric(b)` has the sign `direction`. */
export interface ClaimSpec {
  id: string;
  topic: ClaimTopic;
  text: string;
  metric: EvidenceMetric;
  a: Variant;
  b: Variant;
  direction: "greater" | "less";
}

const c = (
  id: string,
  topic: ClaimTopic,
  text: string,
  metric: EvidenceMetric,
  a: Variant,
  b: Variant,
  direction: "greater" | "less",
): ClaimSpec => ({ id, topic, text, metric, a, b, direction });

const CONTROLLED: [Variant, Variant][] = [
  ["infonce", "random-encoder"],
  ["emargin-reference", "random-encoder"],
  ["emargin-stable", "random-encoder"],
  ["ts2vec", "random-encoder-ts2vec"],
];

/** The claims tested on every dataset, in report order. */
export const CLAIMS: readonly ClaimSpec[] = [
  c(
    "dbi",
    "paper",
    "emargin-reference has a lower (better) DBI than infonce",
    "daviesBouldin",
    "emargin-reference",
    "infonce",
    "less",
  ),
  c(
    "chi",
    "paper",
    "emargin-reference has a higher CHI than infonce",
    "calinskiHarabasz",
    "emargin-reference",
    "infonce",
    "greater",
  ),
  c(
    "sil",
    "paper",
    "emargin-reference has a higher silhouette than infonce",
    "silhouette",
    "emargin-reference",
    "infonce",
    "greater",
  ),
  c(
    "probe",
    "paper",
    "emargin-reference loses the converged probe to infonce (balanced accuracy)",
    "balancedAccuracy",
    "emargin-reference",
    "infonce",
    "less",
  ),
  c(
    "probe-reference",
    "paper",
    "emargin-reference loses the reference probe (spec §2.5) to infonce (accuracy)",
    "referenceAccuracy",
    "emargin-reference",
    "infonce",
    "less",
  ),
  c(
    "nmi",
    "paper",
    "emargin-reference's k-means clusters agree better with the classes (NMI) than infonce's",
    "nmi",
    "emargin-reference",
    "infonce",
    "greater",
  ),
  c(
    "rank",
    "paper",
    "emargin-reference collapses the embedding (lower effective rank than infonce)",
    "effectiveRank",
    "emargin-reference",
    "infonce",
    "less",
  ),
  c(
    "boundary",
    "mechanism",
    "near label changes (±2 frames) emargin-reference probes better than infonce",
    "boundaryBalancedAccuracy",
    "emargin-reference",
    "infonce",
    "greater",
  ),
  c(
    "adjacent",
    "mechanism",
    "emargin-reference makes adjacent frames with different labels less similar than infonce does",
    "adjacentDifferent",
    "emargin-reference",
    "infonce",
    "less",
  ),
  c(
    "stable-probe",
    "variants",
    "emargin-stable probes better than emargin-reference",
    "balancedAccuracy",
    "emargin-stable",
    "emargin-reference",
    "greater",
  ),
  c(
    "stable-dbi",
    "variants",
    "emargin-stable keeps a DBI gain over infonce",
    "daviesBouldin",
    "emargin-stable",
    "infonce",
    "less",
  ),
  c(
    "intended",
    "variants",
    "fixing only the indicator (D1) improves the probe",
    "balancedAccuracy",
    "emargin-intended",
    "emargin-reference",
    "greater",
  ),
  c(
    "vrns",
    "variants",
    "VRNS improves the probe over infonce",
    "balancedAccuracy",
    "infonce+vrns",
    "infonce",
    "greater",
  ),
  c(
    "difficult",
    "variants",
    "difficult-pair handling (σ, ρ) improves the probe over infonce",
    "balancedAccuracy",
    "infonce+difficult",
    "infonce",
    "greater",
  ),
  c(
    "ts2vec",
    "variants",
    "TS2Vec as published probes better than the shipped wrapper",
    "balancedAccuracy",
    "ts2vec",
    "ts2vec-reference",
    "greater",
  ),
  ...(["infonce", "emargin-reference", "emargin-stable", "ts2vec"] as Variant[]).map((v) =>
    c(
      `${v}-raw`,
      "controls",
      `${v} probes better than the raw input features`,
      "balancedAccuracy",
      v,
      "raw-features",
      "greater",
    )
  ),
  ...CONTROLLED.map(([v, r]) =>
    c(
      `${v}-random`,
      "controls",
      `${v} probes better than its encoder untrained (${r})`,
      "balancedAccuracy",
      v,
      r,
      "greater",
    )
  ),
  c(
    "d5-infonce",
    "ablation",
    "z-scoring over all files (D5) changes infonce's probe",
    "balancedAccuracy",
    "infonce-d5",
    "infonce",
    "greater",
  ),
  c(
    "d5-emargin",
    "ablation",
    "z-scoring over all files (D5) changes emargin-reference's probe",
    "balancedAccuracy",
    "emargin-reference-d5",
    "emargin-reference",
    "greater",
  ),
];

/** A claim on one dataset, with its paired comparison and verdict (or why there is none). */
export interface JudgedClaim extends ClaimSpec {
  dataset: StudyDataset;
  /** Null when the data cannot test the claim (see `reason`). */
  effect:
    | (AdjustedEffect & { pValue: number; pMethod: PMethod; pairs: number; verdict: Verdict })
    | null;
  /** Why there is no effect: no runs, no pairs, all runs excluded. */
  reason: string | null;
}

/**
 * The paired comparison A − B of a claim, or the reason there is none. The
 * interval is a bootstrap percentile interval; the p-value is a swap test
 * (A and B exchanged within held-out groups for the probe metrics, within
 * (fold, seed) pairs for the run-level ones), which holds its level with few
 * groups or runs where the bootstrap p-value does not.
 */
export function compareClaim(
  records: readonly ResultRecord[],
  dataset: StudyDataset,
  claim: ClaimSpec,
  resamples = RESAMPLES,
): PairedComparison | string {
  const a = runsOf(records, dataset, claim.a, { forVerdicts: true });
  const b = runsOf(records, dataset, claim.b, { forVerdicts: true });
  const excluded = (v: Variant, kept: ResultRecord[]) =>
    runsOf(records, dataset, v).length - kept.length;
  if (!a.length || !b.length) {
    const which = !a.length ? claim.a : claim.b;
    const n = excluded(which, !a.length ? a : b);
    return n
      ? `every run of ${which} is excluded (non-finite loss on most steps)`
      : `no runs of ${which}`;
  }
  const options = { resamples, seed: BOOTSTRAP_SEED, pMethod: "permutation" as const };
  try {
    if (isGroupedMetric(claim.metric)) {
      const ga = a.map((r) => groupedRun(r, claim.metric)).filter((g) => g !== null);
      const gb = b.map((r) => groupedRun(r, claim.metric)).filter((g) => g !== null);
      if (!ga.length || !gb.length) return "no probe results";
      const metric = TABLE_METRIC[claim.metric as keyof typeof TABLE_METRIC];
      return pairedDifference(ga, gb, metric, options);
    }
    const values = (rs: ResultRecord[]) =>
      rs.flatMap((r) => {
        const v = runValue(r, claim.metric);
        return v === null ? [] : [{ fold: String(r.config.fold), seed: r.config.seed, value: v }];
      });
    const va = values(a), vb = values(b);
    if (!va.length || !vb.length) return "no finite values (failed clustering or probe)";
    return pairedRunLevel(va, vb, options);
  } catch (err) {
    if (err instanceof DegenerateInputError || err instanceof ShapeError) {
      return `not comparable: ${err.message}`;
    }
    throw err;
  }
}

/**
 * Every claim on every dataset. Each dataset's claims are one family,
 * Holm-corrected at α = 0.05 (each dataset replicates the paper's claims on
 * its own data); its resamples are enough for the smallest p-value to survive
 * the correction ({@linkcode resamplesForFamily}). Runs non-finite on more
 * than half their steps are left out.
 */
export function judgeClaims(
  records: readonly ResultRecord[],
  datasets: readonly StudyDataset[],
  claims: readonly ClaimSpec[] = CLAIMS,
): JudgedClaim[] {
  const resamples = resamplesForFamily(claims.length);
  return datasets.flatMap((dataset) => {
    const cells = claims.map((claim) => ({
      claim,
      cmp: compareClaim(records, dataset, claim, resamples),
    }));
    const tested = cells.filter((x) => typeof x.cmp !== "string");
    const judged = judgeFamily(tested.map((x) => ({
      ...(x.cmp as PairedComparison),
      direction: x.claim.direction,
    })));
    let t = 0;
    return cells.map(({ claim, cmp }): JudgedClaim => {
      if (typeof cmp === "string") return { ...claim, dataset, effect: null, reason: cmp };
      const j = judged[t++];
      return {
        ...claim,
        dataset,
        effect: {
          estimate: j.estimate,
          lower: j.lower,
          upper: j.upper,
          pValue: j.pValue,
          pMethod: j.pMethod,
          pAdjusted: j.pAdjusted,
          pairs: j.pairs,
          verdict: j.verdict,
        },
        reason: null,
      };
    });
  });
}
