// The `input` field of /v1/embeddings and /v1/classify, and its tokenization.
#include <solar/runner/request_inputs.hpp>

namespace solar::runner {

namespace {

core::api_error input_error(std::string message) {
    return core::bad_request(std::move(message), "input", "invalid_input");
}

// An array of integers as token ids; nullopt when an element is not an integer.
api_result<std::vector<std::int32_t>> token_ids(
    const nlohmann::json& array, std::size_t vocab_size, const std::string& where
) {
    std::vector<std::int32_t> ids;
    ids.reserve(array.size());
    for (const auto& item : array) {
        if (!item.is_number_integer()) {
            return input_error(where + " must hold only integer token ids");
        }
        auto id = item.get<std::int64_t>();
        if (id < 0 || (vocab_size > 0 && static_cast<std::uint64_t>(id) >= vocab_size)) {
            return input_error(
                where + " holds token id " + std::to_string(id) +
                ", outside the vocabulary (0 to " +
                std::to_string(vocab_size == 0 ? 0 : vocab_size - 1) + ")"
            );
        }
        ids.push_back(static_cast<std::int32_t>(id));
    }
    return ids;
}

}  // namespace

api_result<std::vector<model_input>> parse_inputs(
    const nlohmann::json& body, bool allow_token_ids, std::size_t vocab_size
) {
    const std::string expected = allow_token_ids ? "a string, an array of strings, an array of "
                                                   "token ids or an array of token id arrays"
                                                 : "a string or an array of strings";
    auto it = body.find("input");
    if (it == body.end() || it->is_null()) return input_error("'input' is required");
    const auto& input = *it;
    std::vector<model_input> out;
    if (input.is_string()) {
        out.emplace_back(input.get<std::string>());
        return out;
    }
    if (!input.is_array()) return input_error("'input' must be " + expected);
    if (input.empty()) return input_error("'input' must not be empty");
    if (input.size() > max_inputs_per_request) {
        return input_error(
            "'input' holds " + std::to_string(input.size()) + " items; at most " +
            std::to_string(max_inputs_per_request) + " are allowed"
        );
    }
    if (allow_token_ids && input.front().is_number()) {
        auto ids = token_ids(input, vocab_size, "'input'");
        if (!ids) return ids.error();
        out.emplace_back(std::move(*ids));
        return out;
    }
    for (std::size_t i = 0; i < input.size(); ++i) {
        const auto& item = input[i];
        std::string where = "'input[" + std::to_string(i) + "]'";
        if (item.is_string()) {
            out.emplace_back(item.get<std::string>());
        } else if (allow_token_ids && item.is_array()) {
            if (item.empty()) return input_error(where + " must not be empty");
            auto ids = token_ids(item, vocab_size, where);
            if (!ids) return ids.error();
            out.emplace_back(std::move(*ids));
        } else {
            return input_error("'input' must be " + expected);
        }
    }
    return out;
}

api_result<bool> parse_truncate(const nlohmann::json& body) {
    auto it = body.find("truncate");
    if (it == body.end() || it->is_null()) return true;
    if (!it->is_boolean()) {
        return core::bad_request("'truncate' must be true or false", "truncate", "invalid_type");
    }
    return it->get<bool>();
}

api_result<prepared_inputs> prepare_inputs(
    const std::vector<model_input>& inputs,
    const text_tokenizer& tokenizer,
    std::size_t max_length,
    bool truncate
) {
    prepared_inputs out;
    out.ids.reserve(inputs.size());
    out.type_ids.reserve(inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        std::vector<std::int32_t> ids;
        std::vector<std::int32_t> types;
        bool cut = false;
        if (const auto* text = std::get_if<std::string>(&inputs[i])) {
            auto encoded = tokenizer.encode(*text, true, max_length);
            ids = std::move(encoded.ids);
            types = std::move(encoded.type_ids);
            cut = encoded.truncated;
        } else {
            ids = std::get<std::vector<std::int32_t>>(inputs[i]);
            if (max_length > 0 && ids.size() > max_length) {
                ids.resize(max_length);
                cut = true;
            }
        }
        if (cut && !truncate) {
            return core::bad_request(
                "input " + std::to_string(i) + " is longer than the model's maximum of " +
                    std::to_string(max_length) + " tokens, and 'truncate' is false",
                "input",
                "context_length_exceeded"
            );
        }
        if (types.size() != ids.size()) types.assign(ids.size(), 0);
        out.tokens += ids.size();
        out.ids.push_back(std::move(ids));
        out.type_ids.push_back(std::move(types));
    }
    return out;
}

}  // namespace solar::runner
