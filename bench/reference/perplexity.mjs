// Reference perplexity from llama.cpp's own engine (the prebuilt build shipped by node-llama-cpp), computed the
// way llama.cpp's tools/perplexity does it:
//   tokenize the whole text (BOS added when the model wants one); n_chunk = floor(tokens / n_ctx);
//   for each chunk: replace its first token by BOS (when the model adds BOS), evaluate the n_ctx tokens,
//   and score only the second half: -log softmax(logits[j])[token j+1] for j in [n_ctx/2, n_ctx-2];
//   ppl = exp(sum nll / count), log-softmax in double precision.
//
// Install (no build, no download):
//   NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --ignore-scripts node-llama-cpp@3.22.1 @node-llama-cpp/linux-x64@3.22.1
// Run:
//   node bench/reference/perplexity.mjs TEXT CTX MODEL.gguf [MODEL.gguf ...] > perplexity.json
import fs from "node:fs";
import path from "node:path";
import { getLlama } from "node-llama-cpp";

const [textPath, ctxArg, ...models] = process.argv.slice(2);
const nCtx = Number(ctxArg);
const text = fs.readFileSync(textPath, "utf8");
const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });

const results = [];
for (const modelPath of models) {
    const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
    const addBos = model.tokens.shouldPrependBosToken;
    const bos = model.tokens.bos;
    // common_tokenize(ctx, text, add_special = true, parse_special = false)
    let tokens = Array.from(model.tokenize(text, false));
    if (addBos && bos != null && tokens[0] !== bos) tokens.unshift(bos);
    const nChunk = Math.floor(tokens.length / nCtx);
    const context = await model.createContext({ contextSize: nCtx, batchSize: nCtx, sequences: 1, threads: 1, flashAttention: false });
    const sequence = context.getSequence();
    const first = Math.floor(nCtx / 2);
    let nll = 0, count = 0;
    const perChunk = [];
    for (let c = 0; c < nChunk; c++) {
        const chunk = tokens.slice(c * nCtx, (c + 1) * nCtx);
        if (addBos && bos != null) chunk[0] = bos;
        await sequence.clearHistory();
        const input = chunk.map((t, j) => (j >= first && j <= nCtx - 2) ? [t, { generateNext: { logits: true } }] : t);
        const out = await sequence.controlledEvaluate(input);
        for (let j = first; j <= nCtx - 2; j++) {
            const logits = out[j].next.logits; // Map token -> logit over the whole vocabulary
            let max = -Infinity;
            for (const v of logits.values()) if (v > max) max = v;
            let sum = 0;
            for (const v of logits.values()) sum += Math.exp(v - max);
            const target = chunk[j + 1];
            nll += -(logits.get(target) - max - Math.log(sum));
            count++;
        }
        perChunk.push(Math.exp(nll / count));
    }
    results.push({
        model: path.basename(modelPath),
        ctx: nCtx,
        tokens: tokens.length,
        chunks: nChunk,
        ppl: Math.exp(nll / count),
        running: perChunk,
        firstTokens: tokens.slice(0, 16),
    });
    await context.dispose();
    await model.dispose();
}
console.log(JSON.stringify({
    engine: "llama.cpp via node-llama-cpp 3.22.1 (prebuilt linux-x64 CPU)",
    command: `node bench/reference/perplexity.mjs ${path.basename(textPath)} ${nCtx} ${models.map(m => path.basename(m)).join(" ")}`,
    text: path.basename(textPath),
    results,
}, null, 2));
