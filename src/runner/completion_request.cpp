// Field-by-field checks of the completion request bodies, each 400 naming its field.
#include <solar/runner/completion_request.hpp>

#include <cmath>

namespace solar::runner {

namespace {

using json = nlohmann::json;

core::api_error invalid(const std::string& field, const std::string& what) {
    return core::bad_request("'" + field + "' " + what, field, "invalid_value");
}

// The field when present and not null.
const json* field(const json& body, const char* name) {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) return nullptr;
    return &*it;
}

std::optional<core::api_error> read_number(
    const json& body, const char* name, double min, double max, double& out
) {
    const auto* v = field(body, name);
    if (!v) return std::nullopt;
    if (!v->is_number() || !std::isfinite(v->get<double>()) || v->get<double>() < min ||
        v->get<double>() > max) {
        return invalid(
            name, "must be a number from " + json(min).dump() + " to " + json(max).dump()
        );
    }
    out = v->get<double>();
    return std::nullopt;
}

std::optional<core::api_error> read_integer(
    const json& body, const char* name, std::int64_t min, std::int64_t max, std::int64_t& out
) {
    const auto* v = field(body, name);
    if (!v) return std::nullopt;
    if (!v->is_number_integer() || v->get<std::int64_t>() < min || v->get<std::int64_t>() > max) {
        return invalid(
            name, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max)
        );
    }
    out = v->get<std::int64_t>();
    return std::nullopt;
}

std::optional<core::api_error> read_bool(const json& body, const char* name, bool& out) {
    const auto* v = field(body, name);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) return invalid(name, "must be true or false");
    out = v->get<bool>();
    return std::nullopt;
}

constexpr std::int64_t max_top_logprobs = 20;
constexpr std::size_t max_stop_strings = 16;

}  // namespace

api_result<completion_options> parse_completion_options(
    const json& body, completion_kind kind, const generation_defaults& defaults
) {
    completion_options o;
    o.sampling = defaults.sampling;
    o.max_tokens = defaults.max_tokens;
    auto& s = o.sampling;
    constexpr double big = 1e9;
    for (auto failed : {
             read_number(body, "temperature", 0, big, s.temperature),
             read_number(body, "top_p", 0, 1, s.top_p),
             read_number(body, "min_p", 0, 1, s.min_p),
             read_number(body, "presence_penalty", -2, 2, s.presence_penalty),
             read_number(body, "frequency_penalty", -2, 2, s.frequency_penalty),
             read_number(body, "repetition_penalty", 1e-6, big, s.repetition_penalty),
             read_number(body, "repeat_penalty", 1e-6, big, s.repetition_penalty),
         }) {
        if (failed) return *failed;
    }
    if (const auto* v = field(body, "top_p"); v && v->get<double>() <= 0) {
        return invalid("top_p", "must be above 0");
    }
    std::int64_t top_k = s.top_k;
    if (auto failed = read_integer(body, "top_k", 0, 1 << 30, top_k)) return *failed;
    s.top_k = top_k;
    // max_completion_tokens (chat's newer name) wins over max_tokens, which wins over
    // llama-server's n_predict.
    for (const char* name : {"n_predict", "max_tokens", "max_completion_tokens"}) {
        std::int64_t limit = 0;
        if (!field(body, name)) continue;
        if (auto failed = read_integer(body, name, 1, 1 << 30, limit)) return *failed;
        o.max_tokens = static_cast<std::size_t>(limit);
    }
    if (const auto* v = field(body, "seed")) {
        if (!v->is_number_integer()) return invalid("seed", "must be an integer");
        o.seed = v->is_number_unsigned() ? v->get<std::uint64_t>()
                                         : static_cast<std::uint64_t>(v->get<std::int64_t>());
    }
    std::int64_t n = 1;
    if (auto failed = read_integer(body, "n", 1, 1 << 30, n)) return *failed;
    if (n != 1) {
        return core::bad_request("Only 'n' = 1 is supported", "n", "unsupported_value");
    }
    if (const auto* v = field(body, "stop")) {
        if (v->is_string()) {
            o.stop.push_back(v->get<std::string>());
        } else if (v->is_array() && v->size() <= max_stop_strings) {
            for (const auto& item : *v) {
                if (!item.is_string()) return invalid("stop", "must hold strings");
                o.stop.push_back(item.get<std::string>());
            }
        } else {
            return invalid(
                "stop",
                "must be a string or an array of up to " + std::to_string(max_stop_strings) +
                    " strings"
            );
        }
    }
    if (kind == completion_kind::text) {
        std::int64_t count = 0;
        if (auto failed = read_integer(body, "logprobs", 0, max_top_logprobs, count)) {
            return *failed;
        }
        o.logprobs = field(body, "logprobs") != nullptr;
        o.top_logprobs = static_cast<std::size_t>(count);
    } else {
        if (auto failed = read_bool(body, "logprobs", o.logprobs)) return *failed;
        std::int64_t count = 0;
        if (auto failed = read_integer(body, "top_logprobs", 0, max_top_logprobs, count)) {
            return *failed;
        }
        if (count > 0 && !o.logprobs) {
            return invalid("top_logprobs", "needs 'logprobs' set to true");
        }
        o.top_logprobs = static_cast<std::size_t>(count);
    }
    if (auto failed = read_bool(body, "stream", o.stream)) return *failed;
    if (const auto* v = field(body, "stream_options")) {
        if (!v->is_object()) return invalid("stream_options", "must be an object");
        if (auto failed = read_bool(*v, "include_usage", o.include_usage)) {
            failed->param = "stream_options.include_usage";
            return *failed;
        }
    }
    return o;
}

api_result<model_input> parse_prompt(const json& body, std::size_t vocab_size) {
    const auto* v = field(body, "prompt");
    if (!v) return core::bad_request("'prompt' is required", "prompt", "missing_field");
    const json* one = v;
    if (v->is_array() && v->size() == 1 && !(*v)[0].is_number()) one = &(*v)[0];
    if (one->is_string()) return model_input(one->get<std::string>());
    if (one->is_array() && !one->empty()) {
        std::vector<std::int32_t> ids;
        for (const auto& t : *one) {
            if (!t.is_number_integer() || t.get<std::int64_t>() < 0 ||
                (vocab_size > 0 && t.get<std::uint64_t>() >= vocab_size)) {
                return invalid(
                    "prompt",
                    "token ids must be integers from 0 to " +
                        std::to_string(vocab_size ? vocab_size - 1 : 0)
                );
            }
            ids.push_back(t.get<std::int32_t>());
        }
        return model_input(std::move(ids));
    }
    if (v->is_array() && v->size() > 1) {
        return core::bad_request(
            "Only one prompt per request is supported", "prompt", "unsupported_value"
        );
    }
    return invalid("prompt", "must be a string or an array of token ids");
}

api_result<nlohmann::ordered_json> parse_messages(const json& body) {
    const auto* v = field(body, "messages");
    if (!v) return core::bad_request("'messages' is required", "messages", "missing_field");
    if (!v->is_array() || v->empty()) return invalid("messages", "must be a non-empty array");
    auto out = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < v->size(); ++i) {
        const auto& m = (*v)[i];
        auto where = "messages[" + std::to_string(i) + "]";
        if (!m.is_object()) return invalid(where, "must be an object");
        auto role = m.find("role");
        if (role == m.end() || !role->is_string()) {
            return invalid(where + ".role", "must be a string");
        }
        std::string content;
        auto c = m.find("content");
        if (c != m.end() && c->is_string()) {
            content = c->get<std::string>();
        } else if (c != m.end() && c->is_array()) {
            for (const auto& part : *c) {
                auto text = part.find("text");
                if (!part.is_object() || part.value("type", "") != "text" || text == part.end() ||
                    !text->is_string()) {
                    return invalid(
                        where + ".content", "parts must be {\"type\":\"text\",\"text\"}"
                    );
                }
                content += text->get<std::string>();
            }
        } else if (c != m.end() && !c->is_null()) {
            return invalid(where + ".content", "must be a string or an array of text parts");
        }
        nlohmann::ordered_json message = nlohmann::ordered_json::parse(m.dump());
        message["content"] = content;
        out.push_back(std::move(message));
    }
    return api_result<nlohmann::ordered_json>(boost::system::in_place_value, std::move(out));
}

}  // namespace solar::runner
