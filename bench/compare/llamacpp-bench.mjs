// llama-bench's pp/tg tests on llama.cpp's own engine, through node-llama-cpp's prebuilt CPU libraries
// (no build, no download). Prints one JSON object shaped like `llambda bench --json`.
//   node llamacpp-bench.mjs MODEL.gguf [--threads 2] [--n-prompt 512] [--n-gen 128] [--repetitions 5]
import { getLlama } from "node-llama-cpp";

const args = process.argv.slice(2);
const modelPath = args[0];
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const threads = opt("--threads", 2);
const nPrompt = opt("--n-prompt", 512);
const nGen = opt("--n-gen", 128);
const repetitions = opt("--repetitions", 5);
if (!modelPath) {
  console.error("usage: node llamacpp-bench.mjs MODEL.gguf [--threads N] [--n-prompt N] [--n-gen N] [--repetitions N]");
  process.exit(2);
}

const llama = await getLlama({ gpu: false, build: "never", maxThreads: threads, logLevel: "error" });
const loadStart = performance.now();
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
const loadMs = performance.now() - loadStart;
const context = await model.createContext({
  contextSize: Math.max(nPrompt, nGen) + 16,
  batchSize: Math.max(nPrompt, 1),
  threads: { ideal: threads, min: threads },
  flashAttention: false,
});
const sequence = context.getSequence();

// Random token ids, as llama-bench uses: speed does not depend on them.
let seed = 1234;
const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const vocab = model.tokens.vocabularySize ?? 32000;
const tokens = (n) => Array.from({ length: n }, () => 1 + Math.floor(random() * (vocab - 1)));
const promptTokens = tokens(nPrompt);
const genTokens = tokens(nGen);

// Warm-up (faults in the weights).
await sequence.evaluateWithoutGeneratingNewTokens(promptTokens.slice(0, 16));
await sequence.clearHistory();

const prefill = [];
const decode = [];
for (let r = 0; r < repetitions; r++) {
  if (nPrompt > 0) {
    await sequence.clearHistory();
    const t0 = performance.now();
    await sequence.evaluateWithoutGeneratingNewTokens(promptTokens);
    prefill.push(nPrompt / ((performance.now() - t0) / 1000));
  }
  if (nGen > 0) {
    await sequence.clearHistory();
    const t0 = performance.now();
    for (const t of genTokens) await sequence.evaluateWithoutGeneratingNewTokens([t]);
    decode.push(nGen / ((performance.now() - t0) / 1000));
  }
}
const median = (xs) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const peakRss = process.resourceUsage().maxRSS * 1024;
console.log(JSON.stringify({
  engine: "llama.cpp (node-llama-cpp 3.22.1 prebuilt CPU)",
  model: modelPath, threads, n_prompt: nPrompt, n_gen: nGen, repetitions,
  prefill_tok_s: median(prefill), decode_tok_s: median(decode),
  prefill_samples: prefill, decode_samples: decode,
  load_ms: loadMs, peak_rss_bytes: peakRss,
}));
await context.dispose();
await model.dispose();
