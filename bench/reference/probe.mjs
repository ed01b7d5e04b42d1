import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import fs from "fs";
const [,, modelPath, refPath, caseFilter] = process.argv;
const ref = JSON.parse(fs.readFileSync(refPath, "utf8"));
const llama = await getLlama({gpu:false, build:"never", logLevel: LlamaLogLevel.error, maxThreads: 1});
const model = await llama.loadModel({modelPath});
let worstAll = 0;
for (const [ci, c] of ref.cases.entries()) {
  if (caseFilter !== undefined && String(ci) !== caseFilter) continue;
  const ctx = await model.createContext({contextSize: 512, threads: 1, flashAttention: false, experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32", batchSize: 512});
  const seq = ctx.getSequence();
  const ids = c.prompt_ids ?? c.promptIds ?? c.prompt_tokens;
  const input = ids.map((t, i) => i === ids.length - 1 ? [t, {generateNext: {logits: true}}] : t);
  let res = await seq.controlledEvaluate(input);
  let logits = res[ids.length - 1].next.logits;
  let worst = 0, first = -1;
  for (let s = 0; s < c.steps.length; s++) {
    const st = c.steps[s];
    let sw = 0;
    for (const [id, l] of st.top) sw = Math.max(sw, Math.abs(logits.get(id) - l));
    if (first < 0 && sw > 1e-4) first = s;
    worst = Math.max(worst, sw);
    if (s + 1 < c.steps.length) {
      res = await seq.controlledEvaluate([[st.id, {generateNext: {logits: true}}]]);
      logits = res[0].next.logits;
    }
  }
  console.log(`case ${ci} '${c.prompt.slice(0,12)}' worst ${worst.toFixed(6)} first>1e-4 ${first}`);
  worstAll = Math.max(worstAll, worst);
  await ctx.dispose();
}
console.log(`${modelPath.split('/').pop()}: worst ${worstAll}`);
