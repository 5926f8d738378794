// Child argv construction for llama-server and solar-hf-runner, and its redacted log form.
#include <solar/host/command_line.hpp>

#include <array>
#include <charconv>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace solar::host {

namespace {

constexpr std::string_view api_key_flag = "--api-key";

void append_common_tail(
    std::vector<std::string>& argv, const instance_base& base, std::uint16_t port
) {
    argv.insert(
        argv.end(),
        {"--host",
         base.host,
         "--port",
         std::to_string(port),
         std::string(api_key_flag),
         base.api_key}
    );
}

std::vector<std::string> llama_server_argv(
    const llamacpp_config& c, std::uint16_t port, const std::filesystem::path& program
) {
    std::vector<std::string> argv = {
        program.string(),
        "-m",
        c.model,
        "--alias",
        c.alias,
        "-t",
        std::to_string(c.threads),
        "-ngl",
        std::to_string(c.n_gpu_layers),
        "--temp",
        format_number(c.temp),
        "--top-p",
        format_number(c.top_p),
        "--top-k",
        std::to_string(c.top_k),
        "--min-p",
        format_number(c.min_p),
        "-c",
        std::to_string(c.ctx_size),
    };
    // Without --jinja, llama-server aborts at startup on a template it does not recognise
    // (shared/contracts/llama-server.md); chat template files are Jinja.
    if (c.chat_template_file)
        argv.insert(argv.end(), {"--chat-template-file", *c.chat_template_file, "--jinja"});
    if (c.special) argv.emplace_back("--special");
    if (c.embeddings) argv.emplace_back("--embeddings");
    if (c.pooling) argv.insert(argv.end(), {"--pooling", *c.pooling});
    append_common_tail(argv, c, port);
    return argv;
}

// The flags every solar-hf-runner task shares, up to --max-length.
template <class Config>
std::vector<std::string> hf_runner_head(
    const Config& c, std::string_view task, const std::filesystem::path& program
) {
    return {
        program.string(),
        "--task",
        std::string(task),
        "--model-id",
        c.model_id,
        "--alias",
        c.alias,
        "--device",
        c.device,
        "--dtype",
        c.dtype,
        "--max-length",
        std::to_string(c.max_length),
    };
}

std::string join_labels(const std::vector<std::string>& labels) {
    std::string out;
    for (const auto& label : labels) out += (out.empty() ? "" : ",") + label;
    return out;
}

bool needs_quotes(std::string_view arg) {
    if (arg.empty()) return true;
    for (char c : arg) {
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     std::string_view("-_./:=,+@%*").find(c) != std::string_view::npos;
        if (!plain) return true;
    }
    return false;
}

}  // namespace

std::string format_number(double value) {
    std::array<char, 32> buffer{};
    auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    if (ec != std::errc{}) return std::to_string(value);  // cannot happen with 32 chars
    return std::string(buffer.data(), end);
}

std::vector<std::string> command_line(
    const instance_config& config, std::uint16_t port, const backend_programs& programs
) {
    return std::visit(
        [&](const auto& c) -> std::vector<std::string> {
            using T = std::decay_t<decltype(c)>;
            if constexpr (std::is_same_v<T, llamacpp_config>) {
                return llama_server_argv(c, port, programs.llama_server);
            } else if constexpr (std::is_same_v<T, hf_causal_config>) {
                auto argv = hf_runner_head(c, "causal", programs.hf_runner);
                if (c.trust_remote_code) argv.emplace_back("--trust-remote-code");
                argv.insert(
                    argv.end(), {"--use-flash-attention", c.use_flash_attention ? "true" : "false"}
                );
                append_common_tail(argv, c, port);
                return argv;
            } else if constexpr (std::is_same_v<T, hf_classification_config>) {
                auto argv = hf_runner_head(c, "classification", programs.hf_runner);
                if (c.labels) argv.insert(argv.end(), {"--labels", join_labels(*c.labels)});
                if (c.trust_remote_code) argv.emplace_back("--trust-remote-code");
                append_common_tail(argv, c, port);
                return argv;
            } else {
                auto argv = hf_runner_head(c, "embedding", programs.hf_runner);
                if (c.trust_remote_code) argv.emplace_back("--trust-remote-code");
                argv.insert(
                    argv.end(),
                    {"--normalize", c.normalize ? "true" : "false", "--pooling", c.pooling}
                );
                append_common_tail(argv, c, port);
                return argv;
            }
        },
        config
    );
}

std::vector<std::string> redact_command_line(std::vector<std::string> argv) {
    const std::string with_value = std::string(api_key_flag) + "=";
    for (std::size_t i = 0; i < argv.size(); ++i) {
        if (argv[i] == api_key_flag && i + 1 < argv.size()) {
            argv[++i] = "***";
        } else if (argv[i].rfind(with_value, 0) == 0) {
            argv[i] = with_value + "***";
        }
    }
    return argv;
}

std::string command_line_for_log(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& arg : redact_command_line(argv)) {
        if (!out.empty()) out += ' ';
        if (!needs_quotes(arg)) {
            out += arg;
            continue;
        }
        out += '\'';
        for (char c : arg) {
            if (c == '\'') {
                out += "'\\''";
            } else {
                out += c;
            }
        }
        out += '\'';
    }
    return out;
}

}  // namespace solar::host
