// Renders every (template x conversation x add_generation_prompt) with @huggingface/jinja and
// writes tests/data/chat_templates/goldens.json, which unit_jinja compares byte for byte.
// Usage: npm ci && node generate_goldens.mjs [fixtures dir, default ../../../../shared/fixtures]
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Template } from "@huggingface/jinja";

const here = dirname(fileURLToPath(import.meta.url));
const data = join(here, "..", "..", "data", "chat_templates");
const fixtures = process.argv[2] ?? join(here, "..", "..", "..", "..", "shared", "fixtures");

// strftime_now reads the clock; pin it (UTC) so goldens are deterministic, as the C++ test does.
const fixedNow = Date.UTC(2024, 6, 26, 0, 0, 0);
const RealDate = Date;
globalThis.Date = class extends RealDate {
  constructor(...args) {
    super(...(args.length ? args : [fixedNow]));
  }
};
process.env.TZ = "UTC";

function specialToken(config, name) {
  const v = config[name];
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && typeof v.content === "string") return v.content;
  return "";
}

function loadTemplate(entry) {
  const file = JSON.parse(readFileSync(join(fixtures, entry.file), "utf8"));
  if (entry.index !== undefined) {
    return { text: file[entry.index].template, bos: entry.bos_token, eos: entry.eos_token };
  }
  return {
    text: file.chat_template,
    bos: entry.bos_token ?? specialToken(file, "bos_token"),
    eos: entry.eos_token ?? specialToken(file, "eos_token"),
  };
}

const { templates } = JSON.parse(readFileSync(join(data, "templates.json"), "utf8"));
const { conversations } = JSON.parse(readFileSync(join(data, "conversations.json"), "utf8"));
const cases = [];
for (const entry of templates) {
  const { text, bos, eos } = loadTemplate(entry);
  const template = new Template(text);
  for (const conversation of conversations) {
    for (const addGenerationPrompt of [false, true]) {
      // The same context, in the same key order, that solar::jinja::chat_template builds.
      const context = { messages: conversation.messages };
      if (conversation.tools) context.tools = conversation.tools;
      Object.assign(context, { add_generation_prompt: addGenerationPrompt, bos_token: bos, eos_token: eos });
      Object.assign(context, conversation.extra ?? {});
      const result = { template: entry.id, conversation: conversation.name, add_generation_prompt: addGenerationPrompt };
      try {
        result.output = template.render(structuredClone(context));
      } catch (error) {
        // A message the template itself passes to raise_exception is "raised"; others are engine errors.
        result.error = String(error.message);
        result.error_kind = text.includes(result.error) ? "raised" : "runtime";
      }
      cases.push(result);
    }
  }
}
// Single-feature templates (engine_cases.json), all with one shared context.
const engine = JSON.parse(readFileSync(join(data, "engine_cases.json"), "utf8"));
const engineResults = [];
for (const { name, template: text } of engine.cases) {
  const result = { name };
  try {
    result.output = new Template(text).render(structuredClone(engine.context));
  } catch (error) {
    result.error = String(error.message);
    result.error_kind = text.includes(result.error) ? "raised" : "runtime";
  }
  engineResults.push(result);
}
const out = { generator: "@huggingface/jinja " + JSON.parse(readFileSync(join(here, "node_modules/@huggingface/jinja/package.json"), "utf8")).version, cases, engine: engineResults };
writeFileSync(join(data, "goldens.json"), JSON.stringify(out, null, 1) + "\n");
const errors = cases.filter((c) => c.error !== undefined);
console.log(`${cases.length} cases, ${errors.length} errors (${errors.filter((c) => c.error_kind === "raised").length} raised)`);
