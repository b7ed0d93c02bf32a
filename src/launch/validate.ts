/**
 * Validates a merged launch action (`train:`, `deploy:`) against its schema and turns zod
 * issues into one-line messages that name the file and line each offending field was written at.
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

/** What `validateAction` needs to know about one kind of launch action. */
export interface ActionSchema<T> {
  /** The action's key in the launch file (`train`, `deploy`): the root of every field path. */
  readonly action: string;
  /** Names the configuration in the message of a failure without issues ("training", "deploy"). */
  readonly what: string;
  readonly schema: z.ZodType<T>;
  /** Keys allowed at a path (for "did you mean"). */
  readonly keysAt: (path: readonly PropertyKey[]) => readonly string[];
}

/**
 * Validates merged action fragments. `fileOrder` (displayed paths in the order they were read)
 * sorts problems so the first reported is the first in reading order; the others follow it.
 */
export function validateAction<T>(spec: ActionSchema<T>, merged: Located, fileOrder: readonly string[]): T {
  const result = spec.schema.safeParse(toPlain(merged));
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) => describeIssue(spec, issue, merged));
  const rank = (p: Problem): number => {
    const i = fileOrder.indexOf(p.origin.file);
    return i < 0 ? fileOrder.length : i;
  };
  problems.sort((a, b) => rank(a) - rank(b) || (a.origin.line ?? 0) - (b.origin.line ?? 0));
  const [first, ...rest] = problems;
  if (!first) throw new LaunchError({ detail: `invalid ${spec.what} configuration` });
  const line = (p: Problem): Parameters<typeof formatProblem>[0] => ({
    file: p.origin.file,
    line: p.origin.line,
    path: p.path,
    detail: p.detail,
  });
  throw new LaunchError({ ...line(first), others: rest.map((p) => formatProblem(line(p))) });
}

/** Validates the merged training config (see `validateAction`). */
export function validateTrainConfig(merged: Located, fileOrder: readonly string[]): TrainConfig {
  return validateAction({ action: "train", what: "training", schema: TrainConfigSchema, keysAt: trainConfigKeys }, merged, fileOrder);
}

function describeIssue<T>(spec: ActionSchema<T>, issue: z.core.$ZodIssue, merged: Located): Problem[] {
  if (issue.code === "unrecognized_keys") {
    const { node } = locate(merged, issue.path);
    const known = spec.keysAt(issue.path);
    return issue.keys.map((key) => {
      const entry = node.kind === "map" ? node.entries.get(key) : undefined;
      return {
        origin: entry?.key ?? node.origin,
        path: formatPath(spec.action, [...issue.path, key]),
        detail: `unknown key${suggestion(key, known)}`,
      };
    });
  }
  const { node, depth } = locate(merged, issue.path);
  const path = formatPath(spec.action, issue.path);
  if (depth < issue.path.length) {
    return [{ origin: node.origin, path, detail: `missing, expected ${issue.message}` }];
  }
  const via = node.origin.via !== undefined ? ` (from ${node.origin.via})` : "";
  return [{ origin: node.origin, path, detail: `got ${showValue(toPlain(node))}${via}, expected ${issue.message}` }];
}
