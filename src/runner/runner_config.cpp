// solar-hf-runner's command line: CLI11 collects the text, one place validates it.
#include <solar/core/settings.hpp>
#include <solar/runner/runner_config.hpp>

#include <CLI/CLI.hpp>

#include <initializer_list>
#include <map>
#include <stdexcept>
#include <string_view>

namespace solar::runner {

namespace {

struct config_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string choice(
    std::string_view flag, const std::string& value, std::initializer_list<std::string_view> allowed
) {
    for (auto a : allowed) {
        if (a == value) return value;
    }
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    throw config_error(
        std::string(flag) + ": invalid choice '" + value + "' (choose from " + list + ")"
    );
}

bool boolean(std::string_view flag, const std::string& value) {
    if (auto b = core::parse_bool(value)) return *b;
    throw config_error(std::string(flag) + ": expected true or false (got '" + value + "')");
}

std::uint64_t integer(
    std::string_view flag, const std::string& value, std::uint64_t min, std::uint64_t max
) {
    auto n = core::parse_uint(value);
    if (!n || *n < min || *n > max) {
        throw config_error(
            std::string(flag) + ": must be an integer from " + std::to_string(min) + " to " +
            std::to_string(max) + " (got '" + value + "')"
        );
    }
    return *n;
}

std::vector<std::string> split_labels(const std::string& value) {
    std::vector<std::string> labels;
    std::size_t start = 0;
    while (start <= value.size()) {
        auto comma = value.find(',', start);
        auto label = std::string(core::trim_setting(value.substr(start, comma - start)));
        if (!label.empty()) labels.push_back(label);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    if (labels.empty()) throw config_error("--labels: expected at least one label");
    return labels;
}

runner_config validate(const std::map<std::string, std::string>& given, bool trust_remote_code) {
    auto has = [&](const char* flag) { return given.count(flag) > 0; };
    auto text = [&](const char* flag) { return given.at(flag); };
    std::string missing;
    for (const char* required : {"--task", "--model-id", "--port"}) {
        if (!has(required)) missing += (missing.empty() ? "" : ", ") + std::string(required);
    }
    if (!missing.empty()) throw config_error("the following arguments are required: " + missing);

    runner_config c;
    auto task = choice("--task", text("--task"), {"classification", "embedding", "causal"});
    c.task = task == "classification" ? runner_task::classification
             : task == "embedding"    ? runner_task::embedding
                                      : runner_task::causal;
    c.model_id = std::string(core::trim_setting(text("--model-id")));
    if (c.model_id.empty()) throw config_error("--model-id: must not be empty");
    c.alias = has("--alias") && !text("--alias").empty() ? text("--alias") : c.model_id;
    if (has("--host")) c.host = text("--host");
    c.port = static_cast<std::uint16_t>(integer("--port", text("--port"), 0, 65535));
    if (has("--api-key")) c.api_key = text("--api-key");
    if (has("--device"))
        c.device = choice("--device", text("--device"), {"auto", "cpu", "cuda", "mps"});
    if (has("--dtype")) {
        c.dtype = choice("--dtype", text("--dtype"), {"auto", "float32", "float16", "bfloat16"});
    }
    if (has("--max-length"))
        c.max_length = integer("--max-length", text("--max-length"), 1, 1 << 20);
    if (has("--labels")) c.labels = split_labels(text("--labels"));
    c.trust_remote_code = trust_remote_code;
    if (has("--normalize")) c.normalize = boolean("--normalize", text("--normalize"));
    if (has("--pooling"))
        c.pooling = choice("--pooling", text("--pooling"), {"mean", "cls", "last"});
    if (has("--use-flash-attention")) {
        c.use_flash_attention = boolean("--use-flash-attention", text("--use-flash-attention"));
    }
    if (has("--threads")) c.threads = integer("--threads", text("--threads"), 0, 1024);
    if (has("--max-batch-size")) {
        c.max_batch_size = integer("--max-batch-size", text("--max-batch-size"), 1, 4096);
    }
    if (has("--max-batch-wait-ms")) {
        c.max_batch_wait = std::chrono::milliseconds(
            integer("--max-batch-wait-ms", text("--max-batch-wait-ms"), 0, 10000)
        );
    }
    if (has("--log-level")) {
        auto level = core::read_log_level({text("--log-level"), "--log-level"});
        if (!level) throw config_error(level.error().message);
        c.log_level = *level;
    }
    return c;
}

}  // namespace

const char* task_name(runner_task task) {
    switch (task) {
        case runner_task::classification:
            return "classification";
        case runner_task::embedding:
            return "embedding";
        case runner_task::causal:
            return "causal";
    }
    return "unknown";
}

runner_parse_outcome parse_runner_config(int argc, const char* const* argv) {
    CLI::App app{
        "solar-hf-runner: serves a HuggingFace model (classification, embeddings or a causal LM)\n"
        "over an OpenAI-compatible HTTP API.",
        "solar-hf-runner"};
    struct flag_spec {
        const char* name;
        const char* help;
    };
    static constexpr flag_spec flags[] = {
        {"--task", "classification, embedding or causal (required)"},
        {"--model-id", "Local model directory or hub id org/name (required)"},
        {"--alias", "Model name served in /v1/models (default: the model id)"},
        {"--host", "Address to listen on (default 127.0.0.1)"},
        {"--port", "Port to listen on, 0 = any free port (required)"},
        {"--api-key", "Key clients must present (default: none)"},
        {"--device", "auto, cpu, cuda or mps (default auto)"},
        {"--dtype", "auto, float32, float16 or bfloat16 (default auto)"},
        {"--max-length", "Tokens per input, special tokens included (default 512)"},
        {"--labels", "Comma-separated class labels (default: the model's id2label)"},
        {"--normalize", "L2-normalise embeddings: true or false (default true)"},
        {"--pooling", "Embedding pooling: mean, cls or last (default mean)"},
        {"--use-flash-attention", "Accepted for compatibility: true or false"},
        {"--threads", "libtorch threads, 0 = one per core (default 0)"},
        {"--max-batch-size",
         "Sequences per forward pass; causal: sequences generating at once (default 32)"},
        {"--max-batch-wait-ms", "How long a request waits for others to batch with (default 5)"},
        {"--log-level", "trace, debug, info, warn, error, critical or off (default info)"},
    };
    std::map<std::string, std::string> storage;
    std::vector<std::pair<std::string, CLI::Option*>> options;
    for (const auto& flag : flags) {
        options.emplace_back(flag.name, app.add_option(flag.name, storage[flag.name], flag.help));
    }
    bool trust_remote_code = false;
    app.add_flag("--trust-remote-code", trust_remote_code, "Accepted for compatibility");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        return {std::nullopt, 0, app.help()};
    } catch (const CLI::ParseError& e) {
        return {std::nullopt, 2, std::string("solar-hf-runner: error: ") + e.what()};
    }
    std::map<std::string, std::string> given;
    for (const auto& [name, option] : options) {
        if (option->count() > 0) given[name] = storage[name];
    }
    try {
        return {validate(given, trust_remote_code), 0, {}};
    } catch (const config_error& e) {
        return {std::nullopt, 2, std::string("solar-hf-runner: error: ") + e.what()};
    }
}

}  // namespace solar::runner
