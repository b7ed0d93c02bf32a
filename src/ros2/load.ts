/**
 * Loads rclnodejs (an optional dependency) at run time and initializes it. When ROS 2 is not
 * sourced or rclnodejs cannot load (not installed, native addon not built for this ROS
 * distro), the error is one line saying which and what to do.
 */
import type { RclModule } from "./rclnodejs-api.js";

export class Ros2UnavailableError extends Error {
  override readonly name = "Ros2UnavailableError";
}

/** The module specifier, in a variable so that the build never needs rclnodejs's typings. */
const RCLNODEJS = "rclnodejs";

/** Imports and initializes rclnodejs, with its SIGINT handler removed (the caller stops safely first). */
export async function loadRclnodejs(env: Readonly<Record<string, string | undefined>> = process.env): Promise<RclModule> {
  if (!env["ROS_DISTRO"]) {
    throw new Ros2UnavailableError(
      "ROS 2 is not sourced (ROS_DISTRO is not set): run `source /opt/ros/<distro>/setup.bash` first, or use transport:=sim",
    );
  }
  let mod: unknown;
  try {
    mod = await import(RCLNODEJS);
  } catch (err) {
    const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new Ros2UnavailableError(
      `cannot load rclnodejs for ROS 2 ${env["ROS_DISTRO"]} (${why}): install it with \`npm install rclnodejs\` in a shell where ROS 2 is sourced`,
    );
  }
  // The ES module exports the API as `default`; its typings describe it as named exports.
  const api = (typeof mod === "object" && mod !== null && "default" in mod ? (mod as { default: unknown }).default : mod) as Partial<RclModule> | null;
  if (!api || typeof api.init !== "function" || typeof api.lifecycle?.LifecycleNode !== "function" || typeof api.QoS !== "function") {
    throw new Ros2UnavailableError("rclnodejs loaded but lacks init/lifecycle.LifecycleNode/QoS: expected rclnodejs >= 1.0");
  }
  const rcl = api as RclModule;
  try {
    await rcl.init();
  } catch (err) {
    const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new Ros2UnavailableError(`rclnodejs.init() failed (${why}): is the ROS 2 environment complete (RMW, AMENT_PREFIX_PATH)?`);
  }
  rcl.removeSignalHandlers();
  return rcl;
}
