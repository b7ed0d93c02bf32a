/**
 * Feeds a TopicSink (the live view, typically) straight from a simulated task, without the
 * episode recorder: /robot_description (latched URDF), /clock, /tf (world → every link, from
 * `readLinkPoses`), /reward/total and /reward/<term> (the task's `reward_*` metrics). For tests
 * and development (`node dist/src/view/demo.js`); the real producer is the episode recorder.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { encodeCdr } from "../log/ros-msgs.js";
import type { TopicSink } from "../log/topic-sink.js";
import { packageRoot } from "../robot/load.js";
import type { TaskDefinition } from "../sim/task.js";
import { Rng } from "../util/rng.js";

/** The URDF XML of a robot in `robots/` (what /robot_description carries). */
export function robotUrdf(robot: string): string {
  return readFileSync(join(packageRoot(), "robots", robot, `${robot}.urdf`), "utf8");
}

interface TransformStamped {
  header: { stamp: { sec: number; nanosec: number }; frame_id: string };
  child_frame_id: string;
  transform: { translation: { x: number; y: number; z: number }; rotation: { x: number; y: number; z: number; w: number } };
}

/**
 * Reusable tf2_msgs/msg/TFMessage for `links` under `parent`: `encode(timeNs, poses)` writes
 * the poses (7 per link: x y z qx qy qz qw) into the message and returns its CDR bytes.
 */
export class TfEncoder {
  private readonly msg: { transforms: TransformStamped[] };

  constructor(readonly links: readonly string[], parent = "world") {
    this.msg = {
      transforms: links.map((child) => ({
        header: { stamp: { sec: 0, nanosec: 0 }, frame_id: parent },
        child_frame_id: child,
        transform: { translation: { x: 0, y: 0, z: 0 }, rotation: { x: 0, y: 0, z: 0, w: 1 } },
      })),
    };
  }

  encode(timeNs: bigint, poses: ArrayLike<number>): Uint8Array {
    const sec = Number(timeNs / 1_000_000_000n);
    const nanosec = Number(timeNs % 1_000_000_000n);
    this.msg.transforms.forEach((t, k) => {
      t.header.stamp.sec = sec;
      t.header.stamp.nanosec = nanosec;
      const o = 7 * k;
      const tr = t.transform.translation, rot = t.transform.rotation;
      tr.x = poses[o]!;
      tr.y = poses[o + 1]!;
      tr.z = poses[o + 2]!;
      rot.x = poses[o + 3]!;
      rot.y = poses[o + 4]!;
      rot.z = poses[o + 5]!;
      rot.w = poses[o + 6]!;
    });
    return encodeCdr("tf2_msgs/msg/TFMessage", this.msg);
  }
}

export interface SimFeedOptions {
  readonly sink: TopicSink;
  readonly task: TaskDefinition;
  /** URDF XML for /robot_description (default: `robots/<spec.robot>/<spec.robot>.urdf`). */
  readonly urdf?: string;
  /** Env steps to run (episodes restart on termination and at the task's time limit). */
  readonly steps: number;
  /** "zero" actions, or uniform "random" ones in the normalized box (default "random"). */
  readonly actions?: "zero" | "random";
  readonly seed?: number;
  /** 1 = real time, 2 = twice as fast, 0 (default) = as fast as possible (yields every 50 steps). */
  readonly speed?: number;
  /** Stop early (e.g. on test teardown). */
  readonly signal?: AbortSignal;
  /**
   * Awaited once the channels are added, /robot_description and the first /tf published, and
   * before the first step (e.g. to wait for a client's subscriptions). Gets the channel ids.
   */
  readonly ready?: (channels: readonly number[]) => Promise<void>;
  /** Called after each step's messages, with the link poses just published. */
  readonly onStep?: (step: number, timeNs: bigint, poses: Float64Array) => void;
}

export interface SimFeedResult {
  readonly steps: number;
  readonly episodes: number;
  /** /tf messages published. */
  readonly tfMessages: number;
  /** /reward/total messages in the last episode (what a reward plot of it holds). */
  readonly lastEpisodeRewards: number;
  readonly links: readonly string[];
  /** The last published link poses (7 per link). */
  readonly poses: Float64Array;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs the task and publishes its episodes to `sink` (log time = sim time, restarting at 0). */
export async function feedViewFromSim(o: SimFeedOptions): Promise<SimFeedResult> {
  const { sink, task } = o;
  const spec = task.spec;
  const links = task.state.links;
  const urdf = o.urdf ?? robotUrdf(spec.robot);
  const rewardTerms = spec.metrics
    .map((name, index) => ({ name, index }))
    .filter((m) => m.name.startsWith("reward_"));

  const chDescription = sink.addChannel({ topic: "/robot_description", type: "std_msgs/msg/String", qos: "latched" });
  const chClock = sink.addChannel({ topic: "/clock", type: "rosgraph_msgs/msg/Clock", qos: "sensor" });
  const chTf = sink.addChannel({ topic: "/tf", type: "tf2_msgs/msg/TFMessage", qos: "sensor" });
  const chTotal = sink.addChannel({ topic: "/reward/total", type: "std_msgs/msg/Float64", qos: "reliable" });
  const chTerms = rewardTerms.map((m) =>
    sink.addChannel({ topic: `/reward/${m.name.slice("reward_".length)}`, type: "std_msgs/msg/Float64", qos: "reliable" }),
  );
  sink.publish(chDescription, 0n, encodeCdr("std_msgs/msg/String", { data: urdf }));

  const rng = new Rng(o.seed ?? 1);
  const inst = task.createInstance();
  const obs = new Float32Array(spec.observation.names.length);
  const metrics = new Float32Array(spec.metrics.length);
  const action = new Float32Array(spec.action.names.length);
  const poses = new Float64Array(7 * links.length);
  const tf = new TfEncoder(links);
  const dtNs = BigInt(Math.round(spec.dt * 1e9));
  const speed = o.speed ?? 0;

  let episodes = 1, epStep = 0, tfMessages = 0, lastEpisodeRewards = 0, step = 0;
  const publishState = (timeNs: bigint): void => {
    const sec = Number(timeNs / 1_000_000_000n), nanosec = Number(timeNs % 1_000_000_000n);
    sink.publish(chClock, timeNs, encodeCdr("rosgraph_msgs/msg/Clock", { clock: { sec, nanosec } }));
    inst.readLinkPoses(poses);
    sink.publish(chTf, timeNs, tf.encode(timeNs, poses));
    tfMessages++;
  };
  try {
    inst.reset(rng, obs);
    publishState(0n);
    await o.ready?.([chDescription, chClock, chTf, chTotal, ...chTerms]);
    const wallStart = performance.now();
    for (step = 0; step < o.steps; step++) {
      if (o.signal?.aborted) break;
      for (let i = 0; i < action.length; i++) {
        action[i] = o.actions === "zero" ? 0 : rng.range(spec.action.low[i]!, spec.action.high[i]!);
      }
      const reward = inst.step(action, obs, metrics);
      epStep++;
      const timeNs = BigInt(epStep) * dtNs;
      publishState(timeNs);
      sink.publish(chTotal, timeNs, encodeCdr("std_msgs/msg/Float64", { data: reward }));
      lastEpisodeRewards++;
      rewardTerms.forEach((m, k) => sink.publish(chTerms[k]!, timeNs, encodeCdr("std_msgs/msg/Float64", { data: metrics[m.index]! })));
      o.onStep?.(step, timeNs, poses);
      if ((inst.terminated || epStep >= task.maxEpisodeSteps) && step + 1 < o.steps) {
        inst.reset(rng, obs);
        episodes++;
        epStep = 0;
        lastEpisodeRewards = 0;
        publishState(0n);
      }
      if (speed > 0) {
        const ahead = ((step + 1) * spec.dt * 1000) / speed - (performance.now() - wallStart);
        if (ahead > 1) await sleep(ahead);
      } else if (step % 50 === 49) {
        await sleep(0);
      }
    }
  } finally {
    inst.free();
  }
  return { steps: step, episodes, tfMessages, lastEpisodeRewards, links, poses };
}
