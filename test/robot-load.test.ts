import { readFileSync } from "node:fs";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { coordinateNames, findJoint, findLink, totalMass } from "../src/robot/description.js";
import { loadRobot, robotsDir } from "../src/robot/load.js";

describe("hopper description", () => {
  const d = loadRobot("hopper");

  it("is a standard-valid URDF document", () => {
    const text = readFileSync(join(robotsDir(), "hopper", "hopper.urdf"), "utf8");
    expect(XMLValidator.validate(text)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false }).parse(text) as { robot: { "@_name": string } };
    expect(doc.robot["@_name"]).toBe("hopper");
  });

  it("has Hopper-v5's masses (total 15.820 kg)", () => {
    expect(totalMass(d)).toBeCloseTo(15.82, 3);
    const masses: Record<string, number> = { torso: 3.6652, thigh: 4.0579, leg: 2.7814, foot: 5.3156 };
    for (const [name, m] of Object.entries(masses)) expect(findLink(d, name).inertial!.mass).toBeCloseTo(m, 3);
    // Principal moments about the COM (ROBOTS.md), long axis along the capsule.
    const foot = findLink(d, "foot").inertial!;
    expect(foot.origin.xyz).toEqual([0.065, 0, 0]);
    expect(foot.inertia.ixx).toBeCloseTo(0.0092, 4);
    expect(foot.inertia.iyy).toBeCloseTo(0.1035, 4);
    expect(findLink(d, "torso").inertial!.inertia.izz).toBeCloseTo(0.0045, 4);
  });

  it("has the joints, ranges, damping and armature of hopper.xml", () => {
    expect(d.root).toMatchObject({ joint: "root", link: "torso" });
    expect(coordinateNames(d)).toEqual(["rootx", "rootz", "rooty", "thigh_joint", "leg_joint", "foot_joint"]);
    for (const name of ["thigh_joint", "leg_joint"]) {
      const j = findJoint(d, name);
      expect(j.limit!.lower).toBeCloseTo((-150 * Math.PI) / 180, 8);
      expect(j.limit!.upper).toBe(0);
    }
    const foot = findJoint(d, "foot_joint");
    expect(foot.limit!.lower).toBeCloseTo(-Math.PI / 4, 8);
    expect(foot.limit!.upper).toBeCloseTo(Math.PI / 4, 8);
    for (const name of d.dofJoints) {
      const j = findJoint(d, name);
      expect(j.axis).toEqual([0, -1, 0]);
      expect(j.damping).toBe(1);
      expect(j.armature).toBe(1);
    }
    expect(findJoint(d, "root").armature).toBe(0);
    // World anchors: thigh 1.05, leg 0.6, foot 0.1 (torso at 1.25).
    expect(findJoint(d, "thigh_joint").origin.xyz).toEqual([0, 0, -0.2]);
    expect(findJoint(d, "leg_joint").origin.xyz).toEqual([0, 0, -0.45]);
    expect(findJoint(d, "foot_joint").origin.xyz).toEqual([0, 0, -0.5]);
  });

  it("has motors with gear 200 and ctrl range [-1, 1], capsules, friction and contact rules", () => {
    expect(d.actuators).toEqual(
      ["thigh_joint", "leg_joint", "foot_joint"].map((joint) => ({ joint, interface: "effort", gear: 200, ctrlRange: [-1, 1] })),
    );
    for (const name of ["torso", "thigh", "leg", "foot"]) {
      const c = findLink(d, name).collisions;
      expect(c).toHaveLength(1);
      expect(c[0]!.geometry.type).toBe("capsule");
      expect(c[0]!.friction).toBe(name === "foot" ? 2 : 0.9);
    }
    expect(findLink(d, "foot").collisions[0]!.geometry).toEqual({ type: "capsule", radius: 0.06, length: 0.39 });
    expect(d.contact).toEqual({ margin: 0.001, selfCollision: "non_adjacent", frictionCombine: "max", ground: { height: 0, friction: 1 } });
    expect(d.physics.timestep).toBe(0.004);
    expect(d.physics.limitStep).toBe("exact");
    expect(d.qpos0).toEqual([0, 1.25, 0, 0, 0, 0]);
  });

  it("declares ros2_control effort commands and position/velocity states", () => {
    const rc = d.ros2Control!;
    expect(rc).toMatchObject({ name: "hopper", type: "system", plugin: "mock_components/GenericSystem" });
    expect(rc.joints.map((j) => j.name)).toEqual(["thigh_joint", "leg_joint", "foot_joint"]);
    for (const j of rc.joints) {
      expect(j.commandInterfaces).toEqual([{ name: "effort", min: -200, max: 200 }]);
      expect(j.stateInterfaces).toEqual(["position", "velocity"]);
    }
  });

  it("loads by folder path as well as by name", () => {
    const byPath = loadRobot(join(robotsDir(), "hopper"));
    expect(byPath.links).toEqual(d.links);
  });
});
