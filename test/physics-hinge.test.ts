/**
 * One hinge, checked against closed forms: (I + armature)·q̈ = τ − damping·q̇.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Articulation } from "../src/physics/articulation.js";
import { initPhysics } from "../src/physics/rapier.js";
import { loadRobot } from "../src/robot/load.js";
import { hingeRig, removeTempRobots } from "./robot-fixtures.js";

beforeAll(initPhysics);
afterAll(removeTempRobots);

const h = 0.002;
// Proportions like a hopper link (I_com comparable to m·d²). PGS convergence of the armature
// motor slows as m·d²/I_com grows: with I_com = 0.01 (ratio 18) 12 iterations leave a 38% error.
const rig = { armMass: 2, comOffset: 0.3, armInertia: 0.1, gear: 10 };
/** Arm inertia about the hinge: I_com + m·d². */
const I = rig.armInertia + rig.armMass * rig.comOffset ** 2;

describe("single hinge", () => {
  it("accelerates at τ/(I + armature) under a constant torque", () => {
    const armature = 0.5;
    const art = new Articulation(loadRobot(hingeRig({ ...rig, armature, damping: 0 })));
    const qvel = new Float64Array(art.nv);
    const qpos = new Float64Array(art.nq);
    art.setControl([0.8]);
    const steps = 250;
    art.step(steps);
    art.readQvel(qvel);
    art.readQpos(qpos);
    const tau = 0.8 * rig.gear;
    const expectedRate = (tau / (I + armature)) * steps * h;
    const relErr = Math.abs(qvel[3]! - expectedRate) / expectedRate;
    console.log(`hinge: q̇ = ${qvel[3]!.toFixed(5)} vs τ/(I+a)·t = ${expectedRate.toFixed(5)} (rel. error ${(relErr * 100).toFixed(3)}%)`);
    expect(relErr).toBeLessThan(2e-3);
    // Semi-implicit Euler: q = Σ v_k·h = a·h²·n(n+1)/2.
    const expectedAngle = (tau / (I + armature)) * h * h * (steps * (steps + 1)) / 2;
    expect(Math.abs(qpos[3]! - expectedAngle) / expectedAngle).toBeLessThan(2e-3);
    // The torque's sign follows the joint axis: positive ctrl → positive q (MuJoCo convention).
    expect(qpos[3]).toBeGreaterThan(0);
    art.free();
  });

  it("without armature the same torque accelerates (I + a)/I times faster", () => {
    const art = new Articulation(loadRobot(hingeRig({ ...rig, armature: 0, damping: 0 })));
    const qvel = new Float64Array(art.nv);
    art.setControl([0.8]);
    art.step(100);
    art.readQvel(qvel);
    const expected = ((0.8 * rig.gear) / I) * 100 * h;
    expect(Math.abs(qvel[3]! - expected) / expected).toBeLessThan(2e-3);
    art.free();
  });

  it("joint damping decays the velocity as implicit Euler of (I + a)·q̈ = −d·q̇", () => {
    const armature = 0.5;
    const damping = 0.7;
    const art = new Articulation(loadRobot(hingeRig({ ...rig, armature, damping })));
    const qvel = new Float64Array(art.nv);
    const v0 = 2;
    art.setState([0, 0, 0, 0], [0, 0, 0, v0]);
    art.setControl([0]);
    const steps = 500;
    art.step(steps);
    art.readQvel(qvel);
    const m = I + armature;
    const implicit = v0 / (1 + (damping * h) / m) ** steps;
    const continuous = v0 * Math.exp((-damping * steps * h) / m);
    console.log(`damping: q̇(1 s) = ${qvel[3]!.toFixed(5)}, implicit Euler ${implicit.toFixed(5)}, exact ${continuous.toFixed(5)}`);
    expect(Math.abs(qvel[3]! - implicit) / implicit).toBeLessThan(2e-3);
    expect(Math.abs(qvel[3]! - continuous) / continuous).toBeLessThan(5e-3);
    art.free();
  });
});
