/**
 * Validates the merged `train:` value against the schema and turns zod issues into one-line
 * messages that name the file and line each offending field was written at.
 */
import type { z } from "zod";
import { formatProblem, LaunchError, showValue, type Origin } from "./errors.js";
import { formatPath, locate, toPlain, type Located } from "./located.js";
import { suggestion } from "./suggest.js";
import { TrainConfigSchema, trainConfigKeys, type TrainConfig } from "./train-config.js";

interface Problem {
  readonly origin: Origin;
  readonly path: string;
  readonly detail: string;
}

/**
 * Validates the merged training config. `fileOrder` (displayed paths in the order they were
 * read) sorts problems so the first reported is the first in reading order.
 */
export function validateTrainConfig(merged: Located, fileOrder: readonly string[]): TrainConfig {
  const result = TrainConfigSchema.safeParse(toPlain(merged));
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) => describeIssue(issue, merged));
  const rank = (p: Problem): number => {
    const i = fileOrder.indexOf(p.origin.file);
    return i < 0 ? fileOrder.length : i;
  };
  problems.sort((a, b) => rank(a) - rank(b) || (a.origin.line ?? 0) - (b.origin.line ?? 0));
  const [first, ...rest] = problems;
  if (!first) throw new LaunchError({ detail: "invalid training configuration" });
  const line = (p: Problem): Parameters<typeof formatProblem>[0] => ({
    file: p.origin.file,
    line: p.origin.line,
    path: p.path,
    detail: p.detail,
  });
  throw new LaunchError({ ...line(first), others: rest.map((p) => formatProblem(line(p))) });
}

function describeIssue(issue: z.core.$ZodIssue, merged: Located): Problem[] {
  if (issue.code === "unrecognized_keys") {
    const { node } = locate(merged, issue.path);
    const known = trainConfigKeys(issue.path);
    return issue.keys.map((key) => {
      const entry = node.kind === "map" ? node.entries.get(key) : undefined;
      return {
        origin: entry?.key ?? node.origin,
        path: formatPath("train", [...issue.path, key]),
        detail: `unknown key${suggestion(key, known)}`,
      };
    });
  }
  const { node, depth } = locate(merged, issue.path);
  const path = formatPath("train", issue.path);
  if (depth < issue.path.length) {
    return [{ origin: node.origin, path, detail: `missing, expected ${issue.message}` }];
  }
  const via = node.origin.via !== undefined ? ` (from ${node.origin.via})` : "";
  return [{ origin: node.origin, path, detail: `got ${showValue(toPlain(node))}${via}, expected ${issue.message}` }];
}
