// Instance config validation (pydantic-compatible lax coercion and error shapes) and JSON output.
#include <solar/host/instance_config.hpp>

#include <climits>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace solar::host {

namespace {

using nlohmann::json;

std::string number_text(double value) {
    std::array<char, 32> buffer{};
    auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    return ec == std::errc{} ? std::string(buffer.data(), end) : std::to_string(value);
}

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return out;
}

std::string_view trimmed(std::string_view text) {
    constexpr std::string_view whitespace = " \t\r\n\f\v";
    auto first = text.find_first_not_of(whitespace);
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(whitespace) - first + 1);
}

// ", got <what>" for messages: the JSON type and a short rendering of the value.
std::string got(const json& value, bool secret) {
    if (secret) return ", got a " + std::string(value.type_name());
    auto text = value.dump();
    constexpr std::size_t max_shown = 40;
    if (text.size() > max_shown) text = text.substr(0, max_shown) + "...";
    return ", got " + std::string(value.type_name()) + " " + text;
}

// Reads fields of one config object, collecting every error instead of stopping at the first.
class field_reader {
public:
    field_reader(const json& object, std::vector<std::string> prefix, field_errors& errors)
        : object_(object), prefix_(std::move(prefix)), errors_(errors) {}

    // nullptr when absent; null counts as absent only where the caller allows it.
    const json* find(const char* name) const {
        auto it = object_.find(name);
        return it == object_.end() ? nullptr : &*it;
    }

    void fail(
        const char* name, std::string type, std::string msg, const json* input, json ctx = nullptr
    ) {
        auto loc = prefix_;
        loc.emplace_back(name);
        bool secret = is_secret(name);
        json shown = input == nullptr || secret ? json(nullptr) : *input;
        if (input != nullptr) msg += got(*input, secret);
        errors_.push_back({std::move(loc), std::move(msg), std::move(type), shown, std::move(ctx)});
    }

    void missing(const char* name) { fail(name, "missing", "Field required", nullptr); }

    // A required or defaulted string; `required` fields must be present and all must be
    // non-empty (an empty alias, model or key can only be a mistake).
    void string_field(const char* name, std::string& target, bool required) {
        const json* value = find(name);
        if (value == nullptr) {
            if (required) missing(name);
            return;
        }
        if (auto text = as_string(name, *value)) {
            if (text->empty()) {
                fail(
                    name,
                    "string_too_short",
                    "String should have at least 1 character",
                    value,
                    json{{"min_length", 1}}
                );
                return;
            }
            target = std::move(*text);
        }
    }

    // An optional string: absent, null and "" all mean not given.
    void optional_string(const char* name, std::optional<std::string>& target) {
        const json* value = find(name);
        if (value == nullptr || value->is_null()) return;
        if (auto text = as_string(name, *value); text && !text->empty()) target = std::move(*text);
    }

    // One of `allowed`, compared exactly (pydantic's Literal/Enum).
    template <std::size_t N>
    void enum_field(
        const char* name, std::string& target, const std::array<std::string_view, N>& allowed
    ) {
        const json* value = find(name);
        if (value == nullptr) return;
        auto text = as_string(name, *value);
        if (!text) return;
        if (std::find(allowed.begin(), allowed.end(), *text) != allowed.end()) {
            target = std::move(*text);
            return;
        }
        std::string expected;
        for (std::size_t i = 0; i < N; ++i) {
            if (i > 0) expected += i + 1 == N ? " or " : ", ";
            expected += "'" + std::string(allowed[i]) + "'";
        }
        fail(name, "enum", "Input should be " + expected, value, json{{"expected", expected}});
    }

    // An integer in [min, max]: JSON integers, integral floats and decimal strings are taken.
    void int_field(const char* name, int& target, int min, int max = INT_MAX) {
        const json* value = find(name);
        if (value == nullptr) return;
        auto number = as_integer(name, *value);
        if (!number) return;
        if (!check_range(name, static_cast<double>(*number), value, min, max)) return;
        target = static_cast<int>(*number);
    }

    // A number in [min, max]: JSON numbers and numeric strings are taken.
    void float_field(const char* name, double& target, double min, double max) {
        const json* value = find(name);
        if (value == nullptr) return;
        std::optional<double> number;
        if (value->is_number()) {
            number = value->get<double>();
        } else if (value->is_string()) {
            auto text = trimmed(value->get_ref<const std::string&>());
            double parsed = 0;
            auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
            if (!text.empty() && ec == std::errc{} && end == text.data() + text.size() &&
                std::isfinite(parsed)) {
                number = parsed;
            } else {
                fail(
                    name,
                    "float_parsing",
                    "Input should be a valid number, unable to parse string as a number",
                    value
                );
                return;
            }
        } else {
            fail(name, "float_type", "Input should be a valid number", value);
            return;
        }
        if (!check_range(name, *number, value, min, max)) return;
        target = *number;
    }

    // true/false; also 0/1 and the strings pydantic accepts (yes/no, on/off, t/f, y/n).
    void bool_field(const char* name, bool& target) {
        const json* value = find(name);
        if (value == nullptr) return;
        if (value->is_boolean()) {
            target = value->get<bool>();
        } else if (value->is_number_integer() && (*value == 0 || *value == 1)) {
            target = *value == 1;
        } else if (value->is_string()) {
            auto text = lowercase(trimmed(value->get_ref<const std::string&>()));
            static constexpr std::array<std::string_view, 6> yes = {
                "1", "on", "t", "true", "y", "yes"};
            static constexpr std::array<std::string_view, 6> no = {
                "0", "off", "f", "false", "n", "no"};
            if (std::find(yes.begin(), yes.end(), text) != yes.end()) {
                target = true;
            } else if (std::find(no.begin(), no.end(), text) != no.end()) {
                target = false;
            } else {
                fail(
                    name,
                    "bool_parsing",
                    "Input should be a valid boolean, unable to interpret input",
                    value
                );
            }
        } else {
            fail(name, "bool_type", "Input should be a valid boolean", value);
        }
    }

    // The requested port: absent or null = auto-assign.
    void port_field(std::optional<std::uint16_t>& target) {
        const json* value = find("port");
        if (value == nullptr || value->is_null()) return;
        auto number = as_integer("port", *value);
        if (!number || !check_range("port", static_cast<double>(*number), value, 1, 65535)) return;
        target = static_cast<std::uint16_t>(*number);
    }

    // Optional list of non-empty label strings without commas (they travel comma-joined).
    void labels_field(std::optional<std::vector<std::string>>& target) {
        const json* value = find("labels");
        if (value == nullptr || value->is_null()) return;
        if (!value->is_array()) {
            fail("labels", "list_type", "Input should be a valid list of strings", value);
            return;
        }
        if (value->empty()) {
            fail(
                "labels",
                "too_short",
                "List should have at least 1 item (leave labels out to use the model's own)",
                value,
                json{{"min_length", 1}}
            );
            return;
        }
        std::vector<std::string> labels;
        for (std::size_t i = 0; i < value->size(); ++i) {
            const auto& item = (*value)[i];
            std::string where = "labels[" + std::to_string(i) + "]";
            if (!item.is_string()) {
                fail("labels", "string_type", where + " should be a valid string", value);
                return;
            }
            const auto& text = item.get_ref<const std::string&>();
            if (text.empty() || text.find(',') != std::string::npos ||
                text.find('\0') != std::string::npos) {
                fail(
                    "labels",
                    "value_error",
                    "Value error, " + where + " should be a non-empty string without commas",
                    value
                );
                return;
            }
            labels.push_back(text);
        }
        target = std::move(labels);
    }

    // Checks that a given path names an existing file, when the env can tell.
    void file_must_exist(const char* name, const std::string& path, const validation_env& env) {
        if (!env.file_exists || path.empty() || env.file_exists(path)) return;
        const json* value = find(name);
        fail(name, "value_error", "Value error, file not found: " + path, nullptr);
        errors_.back().input = value != nullptr ? *value : json(nullptr);
    }

private:
    static bool is_secret(std::string_view name) { return name == "api_key"; }

    std::optional<std::string> as_string(const char* name, const json& value) {
        if (!value.is_string()) {
            fail(name, "string_type", "Input should be a valid string", &value);
            return std::nullopt;
        }
        const auto& text = value.get_ref<const std::string&>();
        // A NUL cannot travel in argv; reject it here rather than truncate at spawn.
        if (text.find('\0') != std::string::npos) {
            fail(name, "value_error", "Value error, must not contain NUL characters", &value);
            return std::nullopt;
        }
        return text;
    }

    std::optional<long long> as_integer(const char* name, const json& value) {
        if (value.is_number_integer()) {
            if (value.is_number_unsigned() && value.get<std::uint64_t>() > LLONG_MAX) {
                return LLONG_MAX;  // out of every range below
            }
            return value.get<long long>();
        }
        if (value.is_number_float()) {
            double number = value.get<double>();
            if (std::isfinite(number) && std::floor(number) == number && std::fabs(number) < 9e18) {
                return static_cast<long long>(number);
            }
            fail(
                name,
                "int_from_float",
                "Input should be a valid integer, not a number with a fractional part",
                &value
            );
            return std::nullopt;
        }
        if (value.is_string()) {
            auto text = trimmed(value.get_ref<const std::string&>());
            bool negative = !text.empty() && text.front() == '-';
            auto digits = negative ? text.substr(1) : text;
            long long parsed = 0;
            auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
            if (!digits.empty() && std::isdigit(static_cast<unsigned char>(digits.front())) &&
                ec == std::errc{} && end == digits.data() + digits.size()) {
                return negative ? -parsed : parsed;
            }
            fail(
                name,
                "int_parsing",
                "Input should be a valid integer, unable to parse string as an integer",
                &value
            );
            return std::nullopt;
        }
        fail(name, "int_type", "Input should be a valid integer", &value);
        return std::nullopt;
    }

    // pydantic reports the bound that was crossed: ge/le; the message states the whole range.
    bool check_range(const char* name, double number, const json* value, double min, double max) {
        bool bounded = max < static_cast<double>(INT_MAX);
        std::string range = bounded ? "from " + number_text(min) + " to " + number_text(max)
                                    : "greater than or equal to " + number_text(min);
        if (number < min) {
            fail(
                name,
                "greater_than_equal",
                "Input should be " + range,
                value,
                json{{"ge", min == std::floor(min) ? json(static_cast<long long>(min)) : json(min)}}
            );
            return false;
        }
        if (number > max) {
            std::string msg = bounded ? "Input should be " + range
                                      : "Input should be less than or equal to " + number_text(max);
            fail(
                name,
                "less_than_equal",
                msg,
                value,
                json{{"le", max == std::floor(max) ? json(static_cast<long long>(max)) : json(max)}}
            );
            return false;
        }
        return true;
    }

    const json& object_;
    std::vector<std::string> prefix_;
    field_errors& errors_;
};

constexpr std::array<std::string_view, 4> devices = {"auto", "cuda", "mps", "cpu"};
constexpr std::array<std::string_view, 4> dtypes = {"auto", "float16", "bfloat16", "float32"};
constexpr std::array<std::string_view, 3> poolings = {"mean", "cls", "last"};
constexpr std::array<std::string_view, 5> llama_poolings = {"none", "mean", "cls", "last", "rank"};

void read_base(field_reader& in, instance_base& base) {
    in.string_field("alias", base.alias, true);
    in.string_field("host", base.host, false);
    in.port_field(base.port);
    in.string_field("api_key", base.api_key, true);
    in.bool_field("auto_restart", base.auto_restart);
}

instance_config read_llamacpp(field_reader& in, const validation_env& env) {
    llamacpp_config config;
    in.string_field("model", config.model, true);
    in.file_must_exist("model", config.model, env);
    read_base(in, config);
    in.int_field("threads", config.threads, 1);
    in.int_field("n_gpu_layers", config.n_gpu_layers, 0);
    in.float_field("temp", config.temp, 0.0, 2.0);
    in.float_field("top_p", config.top_p, 0.0, 1.0);
    in.int_field("top_k", config.top_k, 0);
    in.float_field("min_p", config.min_p, 0.0, 1.0);
    in.int_field("ctx_size", config.ctx_size, 1);
    in.optional_string("chat_template_file", config.chat_template_file);
    if (config.chat_template_file) {
        in.file_must_exist("chat_template_file", *config.chat_template_file, env);
    }
    in.bool_field("special", config.special);
    in.bool_field("embeddings", config.embeddings);
    // Optional: absent or null means the model's own pooling.
    if (const json* value = in.find("pooling"); value != nullptr && !value->is_null()) {
        std::string pooling;
        in.enum_field("pooling", pooling, llama_poolings);
        if (!pooling.empty()) config.pooling = std::move(pooling);
    }
    return config;
}

template <class Config>
void read_hf_common(field_reader& in, Config& config) {
    in.string_field("model_id", config.model_id, true);
    read_base(in, config);
    in.enum_field("device", config.device, devices);
    in.enum_field("dtype", config.dtype, dtypes);
    in.int_field("max_length", config.max_length, 1);
    in.bool_field("trust_remote_code", config.trust_remote_code);
}

json base_json(const instance_base& base, std::string_view backend_type) {
    return {
        {"backend_type", backend_type},
        {"alias", base.alias},
        {"host", base.host},
        {"port", base.port ? json(*base.port) : json(nullptr)},
        {"api_key", base.api_key},
        {"auto_restart", base.auto_restart},
    };
}

template <class... Ts>
struct overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

}  // namespace

void throw_exception_from_error(const field_errors& errors, const boost::source_location&) {
    throw std::invalid_argument("invalid instance config: " + describe(errors));
}

validation_env filesystem_validation_env() {
    return {[](const std::string& path) {
        std::error_code ec;
        return std::filesystem::is_regular_file(path, ec);
    }};
}

config_result parse_instance_config(const json& config, const validation_env& env) {
    field_errors errors;
    if (!config.is_object()) {
        errors.push_back(
            {{"config"},
             "Input should be a valid dictionary or object" + got(config, false),
             "model_attributes_type",
             config,
             nullptr}
        );
        return errors;
    }
    field_reader in(config, {"config"}, errors);

    std::string backend = "llamacpp";  // configs from before multi-backend support have none
    if (const json* type = in.find("backend_type"); type != nullptr && !type->is_null()) {
        auto known = std::find(
            std::begin(backend_types),
            std::end(backend_types),
            type->is_string() ? type->get<std::string>() : std::string{}
        );
        if (known == std::end(backend_types)) {
            in.fail(
                "backend_type",
                "union_tag_invalid",
                "Input tag should be one of 'llamacpp', 'huggingface_causal', "
                "'huggingface_classification' or 'huggingface_embedding'",
                type,
                json{{"discriminator", "'backend_type'"}}
            );
            return errors;
        }
        backend = *known;
    }

    instance_config result;
    if (backend == "llamacpp") {
        result = read_llamacpp(in, env);
    } else if (backend == "huggingface_causal") {
        hf_causal_config hf;
        read_hf_common(in, hf);
        in.bool_field("use_flash_attention", hf.use_flash_attention);
        result = std::move(hf);
    } else if (backend == "huggingface_classification") {
        hf_classification_config hf;
        read_hf_common(in, hf);
        in.labels_field(hf.labels);
        result = std::move(hf);
    } else {
        hf_embedding_config hf;
        read_hf_common(in, hf);
        in.bool_field("normalize", hf.normalize);
        in.enum_field("pooling", hf.pooling, poolings);
        result = std::move(hf);
    }
    if (!errors.empty()) return errors;
    return result;
}

config_result parse_instance_body(const json& body, const validation_env& env) {
    if (!body.is_object()) {
        return field_errors{
            {{},
             "Input should be a valid dictionary or object" + got(body, false),
             "model_attributes_type",
             body,
             nullptr}};
    }
    auto it = body.find("config");
    if (it == body.end()) {
        return field_errors{{{"config"}, "Field required", "missing", nullptr, nullptr}};
    }
    return parse_instance_config(*it, env);
}

json to_json(const instance_config& config) {
    return std::visit(
        overloaded{
            [](const llamacpp_config& c) {
                auto out = base_json(c, "llamacpp");
                out["model"] = c.model;
                out["threads"] = c.threads;
                out["n_gpu_layers"] = c.n_gpu_layers;
                out["temp"] = c.temp;
                out["top_p"] = c.top_p;
                out["top_k"] = c.top_k;
                out["min_p"] = c.min_p;
                out["ctx_size"] = c.ctx_size;
                out["chat_template_file"] =
                    c.chat_template_file ? json(*c.chat_template_file) : json(nullptr);
                out["special"] = c.special;
                out["embeddings"] = c.embeddings;
                out["pooling"] = c.pooling ? json(*c.pooling) : json(nullptr);
                return out;
            },
            [](const hf_causal_config& c) {
                auto out = base_json(c, "huggingface_causal");
                out["model_id"] = c.model_id;
                out["device"] = c.device;
                out["dtype"] = c.dtype;
                out["max_length"] = c.max_length;
                out["trust_remote_code"] = c.trust_remote_code;
                out["use_flash_attention"] = c.use_flash_attention;
                return out;
            },
            [](const hf_classification_config& c) {
                auto out = base_json(c, "huggingface_classification");
                out["model_id"] = c.model_id;
                out["device"] = c.device;
                out["dtype"] = c.dtype;
                out["max_length"] = c.max_length;
                out["labels"] = c.labels ? json(*c.labels) : json(nullptr);
                out["trust_remote_code"] = c.trust_remote_code;
                return out;
            },
            [](const hf_embedding_config& c) {
                auto out = base_json(c, "huggingface_embedding");
                out["model_id"] = c.model_id;
                out["device"] = c.device;
                out["dtype"] = c.dtype;
                out["max_length"] = c.max_length;
                out["normalize"] = c.normalize;
                out["pooling"] = c.pooling;
                out["trust_remote_code"] = c.trust_remote_code;
                return out;
            },
        },
        config
    );
}

std::string_view backend_type_of(const instance_config& config) {
    return backend_types[config.index()];
}

const instance_base& common(const instance_config& config) {
    return std::visit([](const auto& c) -> const instance_base& { return c; }, config);
}

instance_base& common(instance_config& config) {
    return std::visit([](auto& c) -> instance_base& { return c; }, config);
}

std::vector<std::string> endpoints_for(const instance_config& config) {
    const std::vector<std::string> generation = {"/v1/chat/completions", "/v1/completions"};
    return std::visit(
        overloaded{
            [&](const llamacpp_config& c) {
                return c.embeddings ? std::vector<std::string>{"/v1/embeddings"} : generation;
            },
            [&](const hf_causal_config&) { return generation; },
            [](const hf_classification_config&) {
                return std::vector<std::string>{"/v1/classify"};
            },
            [](const hf_embedding_config&) { return std::vector<std::string>{"/v1/embeddings"}; },
        },
        config
    );
}

json error_body(const field_errors& errors) {
    json detail = json::array();
    for (const auto& error : errors) {
        json loc = json::array({"body"});
        for (const auto& part : error.loc) loc.push_back(part);
        json item = {
            {"loc", std::move(loc)},
            {"msg", error.msg},
            {"type", error.type},
            {"input", error.input},
        };
        if (!error.ctx.is_null()) item["ctx"] = error.ctx;
        detail.push_back(std::move(item));
    }
    return {{"detail", std::move(detail)}};
}

std::string describe(const field_errors& errors) {
    std::string out;
    for (const auto& error : errors) {
        if (!out.empty()) out += "; ";
        std::string where;
        for (const auto& part : error.loc) where += (where.empty() ? "" : ".") + part;
        out += (where.empty() ? "body" : where) + ": ";
        // The message may quote the value; cut at ", got" so logs stay free of inputs.
        auto cut = error.msg.find(", got ");
        out += error.msg.substr(0, cut);
    }
    return out;
}

}  // namespace solar::host
