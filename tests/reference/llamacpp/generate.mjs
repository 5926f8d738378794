// Records llama.cpp's reference outputs for tests/data/models/llama_tiny: for each prompt in
// prompts.json, the prompt's token ids (with BOS), the greedy continuation and the next-token
// logits after the prompt, computed on the CPU by llama.cpp through node-llama-cpp.
//
//   npm ci --omit=optional && node generate.mjs [model.gguf] [out.json]
// (regenerate.sh runs it for both fixtures.) llama.cpp runs with its defaults: F16 K/V cache,
// activations rounded to F16 for the F16 weight products.
//
// The logits file stays small: the top TOP logits and a fixed spread of PROBE ids, not the
// full 32,000-wide vector. Each greedy step also records the top-2 margin, so a tie flipped by
// rounding can be told from a real divergence.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama } from "node-llama-cpp";

const here = path.dirname(fileURLToPath(import.meta.url));
const modelPath = process.argv[2] ?? path.join(here, "../../../../shared/fixtures/llama-2-tiny-random.gguf");
const outPath = process.argv[3] ?? path.join(here, "../../data/models/llama_tiny/llamacpp_goldens.json");
const STEPS = 24;
const TOP = 16;
// 32 ids spread over the vocabulary: i * 1000 + 7 for the 32,000-token Llama fixtures.
const probeIds = (vocab) => Array.from({ length: 32 }, (_, i) => i * Math.floor(vocab / 32) + 7);

const prompts = JSON.parse(fs.readFileSync(path.join(here, "prompts.json"), "utf8"));
const pkg = JSON.parse(
    fs.readFileSync(path.join(here, "node_modules/node-llama-cpp/package.json"), "utf8")
);

const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
// KV_CACHE_TYPE=F32 (the generated float32 decoders) keeps keys and values unrounded and turns
// flash attention off, whose CPU kernel rounds to F16 inside (0.036 on their logits, against
// 8e-6 without); the Llama fixtures keep llama.cpp's defaults (F16 cache, flash attention auto).
const kvType = process.env.KV_CACHE_TYPE;
const exact = kvType
    ? { experimentalKvCacheKeyType: kvType, experimentalKvCacheValueType: kvType, flashAttention: false }
    : {};
const context = await model.createContext({ contextSize: 512, batchSize: 512, threads: 1, ...exact });

const round = (x) => Number(x.toPrecision(9));

function summarise(logits) {
    // logits: Map token -> logit, sorted high to low.
    const entries = [...logits.entries()];
    const top = entries.slice(0, TOP).map(([id, v]) => [id, round(v)]);
    const probe = probeIds(logits.size).map((id) => [id, round(logits.get(id))]);
    return { top, probe, margin: round(entries[0][1] - entries[1][1]) };
}

const cases = [];
for (const text of prompts) {
    const sequence = context.getSequence();
    let ids = model.tokenize(text);
    const promptIds = [model.tokens.bos, ...ids];
    const ask = { generateNext: { token: true, logits: true } };
    const input = promptIds.map((id, i) => (i === promptIds.length - 1 ? [id, ask] : id));
    const first = (await sequence.controlledEvaluate(input))[promptIds.length - 1];
    const next = summarise(first.next.logits);
    const greedy = [first.next.token];
    const margins = [next.margin];
    for (let step = 1; step < STEPS; ++step) {
        const out = await sequence.controlledEvaluate([[greedy.at(-1), ask]]);
        greedy.push(out[0].next.token);
        margins.push(summarise(out[0].next.logits).margin);
    }
    cases.push({
        text,
        prompt_ids: promptIds,
        greedy,
        greedy_margins: margins,
        next_token_logits: { top: next.top, probe: next.probe },
        detokenized: model.detokenize(greedy)
    });
    await sequence.dispose();
}

const golden = {
    generator: "tests/reference/llamacpp/generate.mjs",
    reference: `node-llama-cpp ${pkg.version} (llama.cpp ${llama.llamaCppRelease?.release ?? "?"}), CPU, 1 thread${kvType ? `, ${kvType} K/V cache, no flash attention` : ""}`,
    model: path.basename(modelPath),
    steps: STEPS,
    cases
};
fs.writeFileSync(outPath, JSON.stringify(golden, null, 1) + "\n");
console.log(`wrote ${outPath}: ${cases.length} prompts`);
await context.dispose();
await model.dispose();
