/**
 * Dense layer and activations tuned for the tfjs wasm backend (TECH-NOTES, measured):
 * wasm matMul with transposeA/B runs ~10× slower than a plain matMul, and the built-in dense
 * gradient uses those flags, so the gradient transposes explicitly; wasm `tanh` is ~6× slower
 * than 2·sigmoid(2x) − 1.
 */
import * as tf from "@tensorflow/tfjs-core";

/** y = x·W + b with a gradient that avoids transposed matMul kernels. */
export const dense = tf.customGrad((...inputs: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const x2 = inputs[0] as tf.Tensor2D;
  const w2 = inputs[1] as tf.Tensor2D;
  const b = inputs[2] as tf.Tensor1D;
  const save = inputs[3] as tf.GradSaveFunc;
  save([x2, w2]);
  const value = tf.add(tf.matMul(x2, w2), b);
  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
    const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
    const dy2 = dy as tf.Tensor2D;
    const dx = tf.matMul(dy2, tf.transpose(sw));
    const dw = tf.matMul(tf.transpose(sx), dy2);
    const db = tf.sum(dy2, 0);
    return [dx, dw, db];
  };
  return { value, gradFunc };
}) as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

/** tanh(x) computed as 2·sigmoid(2x) − 1 (exact identity; faster on wasm). */
export function fastTanh(x: tf.Tensor): tf.Tensor {
  return tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1);
}

export function activate(x: tf.Tensor, activation: "tanh" | "relu"): tf.Tensor {
  return activation === "tanh" ? fastTanh(x) : tf.relu(x);
}
