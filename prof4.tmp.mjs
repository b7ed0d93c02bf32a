import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "/work/main/dist/src/nn/backend.js";
await initBackend({prefer: process.argv[2]});
for (const rows of [512, 2048, 8192]) {
const x = tf.randomNormal([rows, 64]); const y = tf.randomNormal([rows, 64]);
const time = (name, f, n=300) => { for (let i=0;i<30;i++) f().dispose(); const t0=performance.now(); for (let i=0;i<n;i++) f().dispose(); console.log(rows, name, ((performance.now()-t0)/n*1000).toFixed(1), "us"); };
time("mul", () => tf.mul(x, y));
time("matmul 64x64", () => tf.matMul(x, y, false, true));
}
console.log(tf.env().getFlags(), tf.getBackend());
