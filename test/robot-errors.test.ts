import { afterAll, describe, expect, it } from "vitest";
import { DescriptionError } from "../src/robot/description.js";
import { loadRobot } from "../src/robot/load.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { robotsDir } from "../src/robot/load.js";
import { editedHopper, removeTempRobots, writeRobot } from "./robot-fixtures.js";

afterAll(removeTempRobots);

/** Loads a hopper copy with one edit and returns the DescriptionError it must raise. */
function errorOf(edit: Parameters<typeof editedHopper>[0]): DescriptionError {
  const dir = editedHopper(edit);
  try {
    loadRobot(dir);
  } catch (e) {
    if (e instanceof DescriptionError) return e;
    throw e;
  }
  throw new Error("expected a DescriptionError");
}

describe("malformed robot descriptions", () => {
  it("quotes a non-numeric limit with file, element and attribute", () => {
    const e = errorOf({ urdf: (s) => s.replace('<limit lower="-2.617993878" upper="0" effort="200" velocity="100"/>\n    <dynamics damping="1" friction="0"/>\n  </joint>\n\n  <link name="leg">', '<limit lower="x" upper="0" effort="200" velocity="100"/>\n    <dynamics damping="1" friction="0"/>\n  </joint>\n\n  <link name="leg">') });
    expect(e.message).toMatch(/hopper\.urdf: joint "leg_joint" <limit lower="x">: expected a number, got "x"$/);
    expect(e.message.split("\n")).toHaveLength(1);
    expect(e.file).toMatch(/hopper\.urdf$/);
  });

  it("rejects a link without <inertial>", () => {
    const e = errorOf({ urdf: (s) => s.replace(/<link name="thigh">\s*<inertial>[\s\S]*?<\/inertial>/, '<link name="thigh">') });
    expect(e.message).toMatch(/hopper\.urdf: link "thigh": expected an <inertial> with a mass > 0.*, got no <inertial>$/);
  });

  it("rejects a mass <= 0", () => {
    const e = errorOf({ urdf: (s) => s.replace('<mass value="2.7813567"/>', '<mass value="0"/>') });
    expect(e.message).toMatch(/hopper\.urdf: link "leg" <inertial> <mass value="0">: expected a mass > 0, got 0$/);
  });

  it("rejects an unknown parent link", () => {
    const e = errorOf({ urdf: (s) => s.replace('<parent link="thigh"/>', '<parent link="thig"/>') });
    expect(e.message).toMatch(/hopper\.urdf: joint "leg_joint" <parent link>: expected one of the links \(.*\), got "thig"$/);
  });

  it("rejects a joint limit with lower > upper", () => {
    const e = errorOf({ urdf: (s) => s.replace('lower="-0.7853981634" upper="0.7853981634"', 'lower="0.5" upper="-0.5"') });
    expect(e.message).toMatch(/hopper\.urdf: joint "foot_joint" <limit lower="0.5" upper="-0.5">: expected lower <= upper, got lower 0.5 > upper -0.5$/);
  });

  it("rejects XML that is not well-formed", () => {
    const e = errorOf({ urdf: (s) => s.replace("</robot>", "") });
    expect(e.message).toMatch(/hopper\.urdf: XML line \d+: expected well-formed XML, got /);
  });

  it("rejects a sidecar naming a joint that is not in the URDF", () => {
    const e = errorOf({ sidecar: (s) => s.replace("foot_joint: { armature: 1 }", "ankle_joint: { armature: 1 }") });
    expect(e.message).toMatch(/hopper\.locomote\.yaml: joints\.ankle_joint: expected a URDF joint \(.*\), got "ankle_joint"$/);
  });

  it("rejects an actuator on a non-existent joint", () => {
    const e = errorOf({ sidecar: (s) => s.replace("{ joint: leg_joint, interface: effort", "{ joint: knee, interface: effort") });
    expect(e.message).toMatch(/hopper\.locomote\.yaml: actuators\[1\]\.joint: expected a URDF joint \(.*\), got "knee"$/);
  });

  it("rejects a sidecar value of the wrong type, naming the field path", () => {
    const e = errorOf({ sidecar: (s) => s.replace("gear: 200, ctrl_range: [-1, 1] }\n  - { joint: leg_joint", 'gear: "lots", ctrl_range: [-1, 1] }\n  - { joint: leg_joint') });
    expect(e.message).toMatch(/hopper\.locomote\.yaml: actuators\[0\]\.gear: expected number, got "lots"$/);
  });

  it("rejects unknown sidecar keys", () => {
    const e = errorOf({ sidecar: (s) => s.replace(/^ {2}timestep: .*$/m, (line) => `${line}\n  time_step: 0.002`) });
    expect(e.message).toMatch(/hopper\.locomote\.yaml: physics: expected no unknown keys \(unknown: time_step\)/);
  });

  it("rejects an unknown soft-limit step, listing the choices", () => {
    const e = errorOf({ sidecar: (s) => s.replace(/^ {2}limit_step: \w+$/m, "  limit_step: rk4") });
    expect(e.message).toMatch(/hopper\.locomote\.yaml: physics\.limit_step: expected one of "euler"\|"exact", got "rk4"$/);
  });

  it("rejects the exact soft-limit step for a floating root (planar roots only)", () => {
    const read = (f: string): string => readFileSync(join(robotsDir(), "humanoid", f), "utf8");
    const sidecar = read("humanoid.locomote.yaml").replace(/^ {2}timestep: (.*)$/m, "  timestep: $1\n  limit_step: exact");
    const dir = writeRobot("humanoid", read("humanoid.urdf"), sidecar);
    expect(() => loadRobot(dir)).toThrow(/humanoid\.locomote\.yaml: physics\.limit_step: expected "euler" for the floating joint .*, got "exact"$/);
  });

  it("rejects an actuator whose gear exceeds the URDF effort limit", () => {
    const e = errorOf({ sidecar: (s) => s.replace("{ joint: foot_joint, interface: effort, gear: 200", "{ joint: foot_joint, interface: effort, gear: 300") });
    expect(e.message).toMatch(/hopper\.locomote\.yaml: actuators\[2\]: expected at most the URDF effort limit 200 of "foot_joint", got gear 300/);
  });

  it("rejects an initial pose outside the joint limits", () => {
    const e = errorOf({ sidecar: (s) => s.replace("foot_joint: 0 }", "foot_joint: 1.5 }") });
    expect(e.message).toMatch(/hopper\.locomote\.yaml: initial_pose\.qpos\.foot_joint: expected a value within the URDF limits/);
  });

  it("rejects a missing robot folder", () => {
    expect(() => loadRobot("no_such_robot")).toThrow(DescriptionError);
    expect(() => loadRobot("no_such_robot")).toThrow(/robots\/no_such_robot: robot folder: expected a robot name with a folder in robots, got no such folder/);
  });
});
