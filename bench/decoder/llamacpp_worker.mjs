// The llama.cpp contender of the decoder benchmark: node-llama-cpp (tests/reference/llamacpp's
// pinned 3.22.1, prebuilt CPU binary) loads an F32 GGUF and answers one JSON line per command
// on stdin with one JSON line on stdout:
//
//   {"prompts": [[ids...], ...], "max_tokens": N, "concurrent": true|false}
//     -> {"results": [{"start_ms", "token_ms": [...], "tokens": [...]}...], "rss_kb", "hwm_kb"}
//
// Times are ms on one clock (performance.now()) from the command's arrival. Concurrent
// prompts run on separate sequences of one context (node-llama-cpp's `sequences` option),
// whose pending evaluations it batches into one llama_decode per step; otherwise one after
// another on one sequence. Greedy (temperature 0); the EOS token does not stop generation
// (yieldEogToken), so every stream makes max_tokens tokens.
//
//   node llamacpp_worker.mjs MODEL.gguf THREADS SEQUENCES CONTEXT_PER_SEQUENCE
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = path.join(here, "../../tests/reference/llamacpp/node_modules");
const require = createRequire(path.join(modules, "x.js"));
const { getLlama } = await import(require.resolve("node-llama-cpp"));

const [modelPath, threadsArg, sequencesArg, contextArg] = process.argv.slice(2);
const threads = Number(threadsArg);
const sequences = Number(sequencesArg);

function memory() {
    const status = fs.readFileSync("/proc/self/status", "utf8");
    const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)[1]);
    return { rss_kb: kb("VmRSS"), hwm_kb: kb("VmHWM") };
}

const llama = await getLlama({ gpu: false, build: "never", logLevel: "error", maxThreads: threads });
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
// F32 K/V cache so that the precision matches the other two contenders (llama.cpp's default
// is F16).
const context = await model.createContext({
    sequences,
    contextSize: Number(contextArg),
    batchSize: 512,
    threads,
    experimentalKvCacheKeyType: "F32",
    experimentalKvCacheValueType: "F32"
});
const pool = Array.from({ length: sequences }, () => context.getSequence());

async function generate(sequence, prompt, maxTokens, t0) {
    const out = { start_ms: performance.now() - t0, token_ms: [], tokens: [] };
    await sequence.clearHistory();
    for await (const token of sequence.evaluate(prompt, { temperature: 0, yieldEogToken: true })) {
        out.token_ms.push(performance.now() - t0);
        out.tokens.push(token);
        if (out.tokens.length >= maxTokens) break;
    }
    return out;
}

const info = {
    ready: true,
    version: JSON.parse(fs.readFileSync(path.join(modules, "node-llama-cpp/package.json"), "utf8"))
        .version,
    llama_cpp: llama.llamaCppRelease?.release ?? "?",
    kv_cache: [context.kvCacheKeyType, context.kvCacheValueType],
    ...memory()
};
process.stdout.write(JSON.stringify(info) + "\n");

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
    if (!line.trim()) continue;
    const cmd = JSON.parse(line);
    const t0 = performance.now();
    let results;
    if (cmd.concurrent) {
        results = await Promise.all(
            cmd.prompts.map((p, i) => generate(pool[i], p, cmd.max_tokens, t0))
        );
    } else {
        results = [];
        for (const p of cmd.prompts) results.push(await generate(pool[0], p, cmd.max_tokens, t0));
    }
    process.stdout.write(JSON.stringify({ results, ...memory() }) + "\n");
}
await context.dispose();
await model.dispose();
