// Runs the ONNX exports of the tiny encoder fixtures with transformers.js, offline, and writes
// tests/data/models/<model>/transformersjs.json: logits and pooled embeddings for the token id
// sequences of expected.json, each sequence alone and all of them right-padded in one batch.
//
//     node run_transformersjs.mjs EXPORT_DIR      (EXPORT_DIR as written by export_onnx.py)
//
// transformers.js runs the network (its encoder forward: it feeds input_ids, attention_mask and,
// where the graph takes them, token_type_ids to onnxruntime-node). It has no pooling of its own
// outside the feature-extraction pipeline, which needs text, so the mean / cls / last pooling and
// the L2 normalization are computed here, in float64, from its last_hidden_state over the real
// (unmasked) tokens; mean pooling is cross-checked against transformers.js's mean_pooling.
// The script also compares transformers.js to expected.json (tests/data/models/generate.py,
// stock torch.nn) and prints the largest differences; it fails above 1e-4.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
    AutoModel,
    AutoModelForSequenceClassification,
    Tensor,
    env,
    mean_pooling,
} from '@huggingface/transformers';

const here = path.dirname(fileURLToPath(import.meta.url));
const modelsDir = path.resolve(here, '../../data/models');
const models = [
    'bert_classifier',
    'distilbert_classifier',
    'roberta_classifier',
    'minilm_embedder',
    'xlm_roberta_embedder',
];
const tolerance = 1e-4;

function packageVersion(name) {
    const file = path.join(here, 'node_modules', name, 'package.json');
    return JSON.parse(fs.readFileSync(file, 'utf8')).version;
}

// Offline: only the export directory, never the Hub, no cache writes.
function configureOffline(exportDir) {
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = exportDir;
    env.useFSCache = false;
}

function int64Tensor(rows) {
    const length = rows[0].length;
    const data = BigInt64Array.from(rows.flat(), (v) => BigInt(v));
    return new Tensor('int64', data, [rows.length, length]);
}

// Right-pads ragged sequences with the model's pad id; the mask marks the real tokens.
function feeds(inputs, pad) {
    const length = Math.max(...inputs.map((i) => i.ids.length));
    const fill = (row, value) => row.concat(Array(length - row.length).fill(value));
    return {
        input_ids: int64Tensor(inputs.map((i) => fill(i.ids, pad))),
        attention_mask: int64Tensor(inputs.map((i) => fill(Array(i.ids.length).fill(1), 0))),
        token_type_ids: int64Tensor(inputs.map((i) => fill(i.type_ids, 0))),
    };
}

// Row b of a [B, ...] tensor as arrays of doubles: [L][H] for states, [C] for logits.
function rowsOf(tensor) {
    const [batch, ...rest] = tensor.dims;
    const size = rest.reduce((a, b) => a * b, 1);
    const rows = [];
    for (let b = 0; b < batch; ++b) {
        const flat = Array.from(tensor.data.subarray(b * size, (b + 1) * size));
        if (rest.length === 1) {
            rows.push(flat);
        } else {
            const [length, hidden] = rest;
            rows.push(Array.from({ length }, (_, t) => flat.slice(t * hidden, (t + 1) * hidden)));
        }
    }
    return rows;
}

function pool(states, realTokens, how) {
    const real = states.slice(0, realTokens);
    if (how === 'cls') return real[0].slice();
    if (how === 'last') return real[real.length - 1].slice();
    const sum = real.reduce((acc, row) => acc.map((v, j) => v + row[j]));
    return sum.map((v) => v / real.length);
}

function normalized(vector) {
    const norm = Math.sqrt(vector.reduce((a, v) => a + v * v, 0));
    return vector.map((v) => v / Math.max(norm, 1e-12));
}

function embeddings(statesPerSequence, lengths) {
    const result = {};
    for (const how of ['mean', 'cls', 'last']) {
        const raw = statesPerSequence.map((s, i) => pool(s, lengths[i], how));
        result[how] = { raw, normalized: raw.map(normalized) };
    }
    return result;
}

function maxDifference(a, b) {
    if (Array.isArray(a)) {
        if (!Array.isArray(b) || a.length !== b.length) throw new Error('shape mismatch');
        return a.reduce((worst, v, i) => Math.max(worst, maxDifference(v, b[i])), 0);
    }
    return Math.abs(a - b);
}

function embeddingDifference(a, b) {
    let worst = 0;
    for (const how of ['mean', 'cls', 'last']) {
        for (const kind of ['raw', 'normalized']) {
            worst = Math.max(worst, maxDifference(a[how][kind], b[how][kind]));
        }
    }
    return worst;
}

async function runModel(name, sessionOptions) {
    const expected = JSON.parse(fs.readFileSync(path.join(modelsDir, name, 'expected.json')));
    const config = JSON.parse(fs.readFileSync(path.join(modelsDir, name, 'config.json')));
    const inputs = expected.inputs;
    const lengths = inputs.map((i) => i.ids.length);
    const options = { dtype: 'fp32', device: 'cpu', session_options: sessionOptions };
    // The base model class gives the raw outputs (last_hidden_state); the classification class
    // is what an application would call for logits. Both load the same onnx/model.onnx.
    const encoder = await AutoModel.from_pretrained(name, options);
    const classifier = expected.logits
        ? await AutoModelForSequenceClassification.from_pretrained(name, options)
        : null;

    async function run(batchInputs) {
        const x = feeds(batchInputs, config.pad_token_id);
        const out = await encoder(x);
        const states = rowsOf(out.last_hidden_state);
        const meanCheck = rowsOf(mean_pooling(out.last_hidden_state, x.attention_mask));
        const result = { states, meanCheck };
        if (classifier) result.logits = rowsOf((await classifier(x)).logits);
        return result;
    }

    const alone = { states: [], meanCheck: [], logits: [] };
    for (const input of inputs) {
        const r = await run([input]);
        alone.states.push(r.states[0]);
        alone.meanCheck.push(r.meanCheck[0]);
        if (r.logits) alone.logits.push(r.logits[0]);
    }
    const batch = await run(inputs);

    const golden = {
        reference: 'transformers.js',
        packages: {
            '@huggingface/transformers': packageVersion('@huggingface/transformers'),
            'onnxruntime-node': packageVersion('onnxruntime-node'),
        },
        backend: 'onnxruntime-node, cpu execution provider, fp32, one intra-op thread',
        compute:
            expected.storage === 'F32'
                ? 'float32'
                : `float32, on the stored ${expected.storage} values (widened exactly on export)`,
        pooling:
            'computed by run_transformersjs.mjs in float64 from transformers.js last_hidden_state',
        architecture: expected.architecture,
        storage: expected.storage,
        inputs,
        embeddings: embeddings(alone.states, lengths),
        padded_batch: { embeddings: embeddings(batch.states, lengths) },
    };
    if (classifier) {
        golden.labels = expected.labels;
        golden.logits = alone.logits;
        golden.padded_batch.logits = batch.logits;
    }

    const mean = golden.embeddings.mean.raw;
    const figures = {
        'embeddings vs expected.json': embeddingDifference(golden.embeddings, expected.embeddings),
        'padded batch vs alone': embeddingDifference(
            golden.padded_batch.embeddings,
            golden.embeddings,
        ),
        'mean_pooling vs script mean (alone)': maxDifference(alone.meanCheck, mean),
        'mean_pooling vs script mean (batch)': maxDifference(batch.meanCheck, mean),
    };
    if (classifier) {
        figures['logits vs expected.json'] = maxDifference(golden.logits, expected.logits);
        figures['padded batch logits vs alone'] = maxDifference(
            golden.padded_batch.logits,
            golden.logits,
        );
    }
    let ok = true;
    for (const [what, value] of Object.entries(figures)) {
        console.log(`${name}: max abs diff ${what}: ${value.toExponential(2)}`);
        if (!(value <= tolerance)) ok = false;
    }
    if (!ok) throw new Error(`${name}: transformers.js disagrees beyond ${tolerance}`);
    const file = path.join(modelsDir, name, 'transformersjs.json');
    fs.writeFileSync(file, JSON.stringify(golden) + '\n');
    console.log(`wrote tests/data/models/${name}/transformersjs.json`);
}

async function main() {
    if (process.argv.length !== 3) throw new Error('usage: node run_transformersjs.mjs EXPORT_DIR');
    configureOffline(path.resolve(process.argv[2]));
    // One thread and no graph rewrites beyond ORT's defaults: reruns give the same bytes.
    const sessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };
    for (const name of models) await runModel(name, sessionOptions);
}

await main();
