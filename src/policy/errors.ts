/**
 * The one error a policy artifact raises when it cannot be read or written: a single line
 * naming the file, the field path, the value found and what was expected, e.g.
 * `runs/x/policy/manifest.json: network.hidden[1]: expected a positive integer, got -3`.
 */
export class PolicyArtifactError extends Error {
  override readonly name = "PolicyArtifactError";

  constructor(
    /** The file at fault (as given: relative paths stay relative). */
    readonly file: string,
    /** Field path inside the file (`network.hidden[1]`), or null when the file as a whole is at fault. */
    readonly field: string | null,
    /** What is wrong, with the value found and the expectation. */
    readonly detail: string,
  ) {
    super(`${file}: ${field === null ? "" : `${field}: `}${detail}`.replace(/\s*\n\s*/g, " "));
  }
}
