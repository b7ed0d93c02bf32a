/**
 * The one error `locomote deploy` raises when it refuses to run: a single line naming what is
 * at fault (a file, or the policy/robot pair), the field, what was found and what was expected,
 * e.g. `runs/x/policy: joints[2]: policy commands "foot_joint", robot hopper's actuator 2 is "ankle"`.
 */
export class DeployError extends Error {
  override readonly name = "DeployError";

  constructor(
    /** The file or pair at fault, as displayed. */
    readonly where: string,
    /** Field path, or null when the whole thing is at fault. */
    readonly field: string | null,
    readonly detail: string,
  ) {
    super(`${where}: ${field === null ? "" : `${field}: `}${detail}`.replace(/\s*\n\s*/g, " "));
  }
}
