// Writes golden.json: reference encodings and decodings of corpus.json by HuggingFace's Rust
// tokenizers (the npm Node binding, pinned in package-lock.json), for tokenizer_golden_test.cpp.
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require('tokenizers');

const names = [
  'bert-base-uncased', 'all-minilm-l6-v2', 'roberta-base', 'phi-2', 'qwen3', 'phi-3-mini', 'falcon',
  'clip', 'whisper-large-v3',
];
const corpus = JSON.parse(fs.readFileSync(path.join(__dirname, 'corpus.json'), 'utf8'));
const detail_limit = 120;      // texts up to this many code points also record tokens and offsets
const truncation_length = 16;  // max_length for the truncation cases

// The binding reports offsets in code points; the C++ tokenizer reports UTF-8 byte offsets.
function byte_offsets(text, offsets) {
  const bytes = [0];
  for (const ch of Array.from(text)) bytes.push(bytes[bytes.length - 1] + Buffer.byteLength(ch, 'utf8'));
  return offsets.map(([b, e]) => [bytes[b], bytes[e]]);
}

function full(enc, text, pair) {
  const offsets = enc.getOffsets();
  const seq = enc.getSequenceIds ? null : null;
  return {
    ids: enc.getIds(),
    tokens: enc.getTokens(),
    type_ids: enc.getTypeIds(),
    attention_mask: enc.getAttentionMask(),
    offsets: pair === undefined ? byte_offsets(text, offsets) : undefined,
  };
}

async function main() {
  const out = { generator: 'npm tokenizers ' + require('tokenizers/package.json').version, corpus: 'corpus.json',
                truncation_length, tokenizers: [] };
  for (const name of names) {
    const file = path.join(__dirname, '..', name, 'tokenizer.json');
    const tok = Tokenizer.fromFile(file);
    tok.disableTruncation();
    tok.disablePadding();
    const entry = { name, vocab_size: tok.getVocabSize(true), cases: [], pairs: [], truncated: [], file_padding: [] };
    for (let i = 0; i < corpus.length; ++i) {
      const text = corpus[i];
      const enc = await tok.encode(text);
      const plain = await tok.encode(text, null, { addSpecialTokens: false });
      const c = { text: i, ids: enc.getIds(), ids_plain: plain.getIds() };
      if (Array.from(text).length <= detail_limit) {
        Object.assign(c, full(enc, text));
        c.offsets_plain = byte_offsets(text, plain.getOffsets());
      }
      c.decode_skip = await tok.decode(enc.getIds(), true);
      c.decode_keep = await tok.decode(enc.getIds(), false);
      entry.cases.push(c);
    }
    for (let i = 0; i + 1 < 40; i += 2) {
      const enc = await tok.encode(corpus[i], corpus[i + 1]);
      entry.pairs.push({ a: i, b: i + 1, ids: enc.getIds(), type_ids: enc.getTypeIds(), tokens: enc.getTokens() });
    }
    tok.setTruncation(truncation_length);
    const long_texts = [1, 25, 26, 160, 200, corpus.length - 7];
    for (const i of long_texts) {
      const enc = await tok.encode(corpus[i]);
      const plain = await tok.encode(corpus[i], null, { addSpecialTokens: false });
      const pair = await tok.encode(corpus[i], corpus[i + 1]);
      entry.truncated.push({ text: i, ids: enc.getIds(), ids_plain: plain.getIds(), pair_with: i + 1,
                             pair_ids: pair.getIds(), pair_type_ids: pair.getTypeIds() });
    }
    const own = Tokenizer.fromFile(file);  // the file's own truncation and padding sections
    for (const i of [0, 1, 2, 25, corpus.length - 7]) {
      const enc = await own.encode(corpus[i]);
      entry.file_padding.push({ text: i, ids: enc.getIds(), attention_mask: enc.getAttentionMask(),
                                type_ids: enc.getTypeIds() });
    }
    out.tokenizers.push(entry);
  }
  fs.writeFileSync(path.join(__dirname, 'golden.json'), JSON.stringify(out));
}

main().catch((e) => { console.error(e); process.exit(1); });
