/**
 * MuJoCo's inertia-box fluid model (src/physics/fluid.ts): by hand for one box, and against
 * MuJoCo 2.2.2 for random swimmer states (test/fixtures/swimmer-mujoco.json: per-body forces
 * and qfrc_passive, recorded by test/fixtures/swimmer-mujoco.c).
 */
import { describe, expect, it } from "vitest";
import { fluidCoefficients, fluidLocalForce, InertiaBoxFluid, inertiaBox, principalFrame } from "../src/physics/fluid.js";
import type { Inertial } from "../src/robot/description.js";
import { loadRobot } from "../src/robot/load.js";
import { loadSwimmerFixture } from "../sims/swimmer/mujoco-compare.js";

const inertial = (mass: number, ixx: number, iyy: number, izz: number, rpy: [number, number, number] = [0, 0, 0]): Inertial => ({
  origin: { xyz: [0, 0, 0], rpy },
  mass,
  inertia: { ixx, ixy: 0, ixz: 0, iyy, iyz: 0, izz },
});

describe("inertia-box fluid model", () => {
  it("gives a solid box its own side lengths back", () => {
    // Box 0.2 × 0.4 × 1.0 m of 80 kg: I_x = m(b_y² + b_z²)/12 etc.
    const m = 80, b = [0.2, 0.4, 1.0] as const;
    const I: [number, number, number] = [(m * (b[1] ** 2 + b[2] ** 2)) / 12, (m * (b[0] ** 2 + b[2] ** 2)) / 12, (m * (b[0] ** 2 + b[1] ** 2)) / 12];
    const box = inertiaBox(m, I);
    box.forEach((s, i) => expect(s).toBeCloseTo(b[i]!, 12));
  });

  it("matches a hand computation of the viscous and quadratic terms", () => {
    const box = [0.2, 0.4, 1.0] as const;
    const rho = 4000, mu = 0.1;
    const c = fluidCoefficients({ density: rho, viscosity: mu }, box);
    const out = new Float64Array(6);
    // v along y only, ω about z only.
    fluidLocalForce(c, 0, [0, 1.5, 0, 0, 0, -2], 0, out, 0);
    const d = (0.2 + 0.4 + 1.0) / 3;
    // F_y = −3π·μ·d·v − ½·ρ·b_x·b_z·|v|·v
    expect(out[1]).toBeCloseTo(-3 * Math.PI * mu * d * 1.5 - 0.5 * rho * 0.2 * 1.0 * 1.5 * 1.5, 9);
    // τ_z = −π·μ·d³·ω − ρ/64·b_z·(b_x⁴ + b_y⁴)·|ω|·ω
    expect(out[5]).toBeCloseTo(-Math.PI * mu * d ** 3 * -2 + (rho / 64) * 1.0 * (0.2 ** 4 + 0.4 ** 4) * 4, 9);
    for (const i of [0, 2, 3, 4]) expect(Math.abs(out[i]!)).toBe(0);
    // Numbers: F_y = −0.754 − 900 N, τ_z = +0.095 + 6.8 N·m.
    expect(out[1]).toBeCloseTo(-900.754, 3);
    expect(out[5]).toBeCloseTo(6.8953, 4);
  });

  it("uses the principal frame: a body turned by its inertial rpy gets the forces turned with it", () => {
    const medium = { density: 1000, viscosity: 0 };
    // The long axis along link z in one, along link x (inertial pitched 90°) in the other.
    const alongZ = new InertiaBoxFluid(medium, [inertial(10, 1, 1, 0.05)]);
    const alongX = new InertiaBoxFluid(medium, [inertial(10, 1, 1, 0.05, [0, Math.PI / 2, 0])]);
    expect(principalFrame(inertial(10, 1, 1, 0.05, [0, Math.PI / 2, 0])).moments).toEqual([1, 1, 0.05]);
    const q = new Float64Array([0, 0, 0, 1]);
    const v = new Float64Array([1, 0, 0]);
    const w = new Float64Array(3);
    const f1 = new Float64Array(3), f2 = new Float64Array(3), t = new Float64Array(3);
    alongZ.apply(q, v, w, f1, t);
    alongX.apply(q, v, w, f2, t);
    // Moving along x: broadside for the first body, end-on for the second (much less drag).
    expect(f1[0]! / f2[0]!).toBeGreaterThan(3);
    expect(Math.abs(f1[1]!) + Math.abs(f1[2]!) + Math.abs(f2[1]!) + Math.abs(f2[2]!)).toBeLessThan(1e-9);
  });

  it("reproduces MuJoCo 2.2.2's forces and qfrc_passive for random swimmer states", () => {
    const ref = loadSwimmerFixture();
    const desc = loadRobot("swimmer");
    expect(desc.physics.fluid).toEqual({ density: ref.density, viscosity: ref.viscosity });
    const links = ["torso", "mid", "back"].map((n) => desc.links.find((l) => l.name === n)!);
    const fluid = new InertiaBoxFluid(desc.physics.fluid!, links.map((l) => l.inertial!));
    const quat = new Float64Array(12), lin = new Float64Array(9), ang = new Float64Array(9);
    const F = new Float64Array(9), T = new Float64Array(9);
    let worst = 0;
    for (const s of ref.fluid) {
      // Planar forward kinematics of the chain (world frame, z up; the swimmer at qpos).
      const [x, y, th, q1, q2] = s.qpos as [number, number, number, number, number];
      const [vx, vy, w0, w1, w2] = s.qvel as [number, number, number, number, number];
      const heading = [th, th + q1, th + q1 + q2];
      const omega = [w0, w0 + w1, w0 + w1 + w2];
      const dir = (a: number, len: number): [number, number] => [len * Math.cos(a), len * Math.sin(a)];
      const add = (p: [number, number], d: [number, number]): [number, number] => [p[0] + d[0], p[1] + d[1]];
      const p0: [number, number] = [x, y];
      const j1 = add(p0, dir(heading[0]!, 0.5));
      const j2 = add(j1, dir(heading[1]!, -1));
      const com = [add(p0, dir(heading[0]!, 1)), add(j1, dir(heading[1]!, -0.5)), add(j2, dir(heading[2]!, -0.5))];
      // Point velocities: v_point = v_origin + ω × (point − origin), chained from the torso origin.
      const vAt = (v: [number, number], w: number, from: [number, number], to: [number, number]): [number, number] => [v[0] - w * (to[1] - from[1]), v[1] + w * (to[0] - from[0])];
      const v0: [number, number] = [vx, vy];
      const vj1 = vAt(v0, omega[0]!, p0, j1);
      const vj2 = vAt(vj1, omega[1]!, j1, j2);
      const vcom = [vAt(v0, omega[0]!, p0, com[0]!), vAt(vj1, omega[1]!, j1, com[1]!), vAt(vj2, omega[2]!, j2, com[2]!)];
      for (let b = 0; b < 3; b++) {
        quat.set([0, 0, Math.sin(heading[b]! / 2), Math.cos(heading[b]! / 2)], 4 * b);
        lin.set([vcom[b]![0], vcom[b]![1], 0], 3 * b);
        ang.set([0, 0, omega[b]!], 3 * b);
      }
      fluid.apply(quat, lin, ang, F, T);
      const scale = Math.max(...s.force.flat().map(Math.abs), ...s.torque.flat().map(Math.abs));
      for (let b = 0; b < 3; b++) {
        for (let k = 0; k < 3; k++) {
          worst = Math.max(worst, Math.abs(F[3 * b + k]! - s.force[b]![k]!) / scale, Math.abs(T[3 * b + k]! - s.torque[b]![k]!) / scale);
        }
      }
      // Generalized forces: slides take the force sums, each hinge the moments of its subtree
      // about its axis point.
      const moment = (b: number, about: [number, number]): number => T[3 * b + 2]! + (com[b]![0] - about[0]) * F[3 * b + 1]! - (com[b]![1] - about[1]) * F[3 * b]!;
      const qfrc = [
        F[0]! + F[3]! + F[6]!,
        F[1]! + F[4]! + F[7]!,
        moment(0, p0) + moment(1, p0) + moment(2, p0),
        moment(1, j1) + moment(2, j1),
        moment(2, j2),
      ];
      const qscale = Math.max(...s.qfrc_passive.map(Math.abs));
      qfrc.forEach((f, i) => (worst = Math.max(worst, Math.abs(f - s.qfrc_passive[i]!) / qscale)));
    }
    // MuJoCo prints 9 significant digits.
    expect(worst).toBeLessThan(1e-7);
  });
});
