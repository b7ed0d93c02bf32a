/** Command-line launch arguments: `name:=value` tokens, as `ros2 launch` takes them. */
import { LaunchError } from "./errors.js";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface ParsedOverrides {
  /** `name → value` for every `name:=value` token (a repeated name: the last one wins). */
  readonly overrides: Record<string, string>;
  /** The other tokens, in order. */
  readonly rest: string[];
}

/**
 * Splits `name:=value` tokens from the others. `name:=` sets the empty string; a token with
 * `:=` but no valid name (`:=3`, `2x:=1`) is a LaunchError. Tokens after `--` are all kept in
 * `rest`.
 */
export function parseOverrides(argv: readonly string[]): ParsedOverrides {
  const overrides: Record<string, string> = {};
  const rest: string[] = [];
  let passThrough = false;
  for (const token of argv) {
    const at = token.indexOf(":=");
    if (passThrough || at < 0 || token.startsWith("-")) {
      if (token === "--") passThrough = true;
      rest.push(token);
      continue;
    }
    const name = token.slice(0, at);
    if (!NAME.test(name)) {
      const got = name === "" ? "no name" : `name ${JSON.stringify(name)}`;
      const expected = "expected name:=value with a name of letters, digits and _ not starting with a digit";
      throw new LaunchError({ file: "command line", detail: `malformed argument ${JSON.stringify(token)}: got ${got}, ${expected}` });
    }
    overrides[name] = token.slice(at + 2);
  }
  return { overrides, rest };
}
