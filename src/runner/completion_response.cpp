// The completion objects, with their keys in OpenAI's order.
#include <solar/runner/completion_response.hpp>

namespace solar::runner {

namespace {

using ojson = nlohmann::ordered_json;

const char* object_name(completion_kind kind, bool chunk) {
    if (kind == completion_kind::chat) return chunk ? "chat.completion.chunk" : "chat.completion";
    return "text_completion";
}

ojson envelope_json(const completion_envelope& e, bool chunk) {
    return ojson{
        {"id", e.id},
        {"object", object_name(e.kind, chunk)},
        {"created", e.created},
        {"model", e.model},
    };
}

ojson finish_json(finish_reason finish) {
    if (finish == finish_reason::none) return nullptr;
    return finish_reason_name(finish);
}

ojson bytes_of(const std::string& text) {
    ojson out = ojson::array();
    for (unsigned char c : text) out.push_back(static_cast<int>(c));
    return out;
}

std::string dump(const ojson& j) { return j.dump(-1, ' ', false, ojson::error_handler_t::replace); }

}  // namespace

ojson usage_json(std::size_t prompt_tokens, std::size_t completion_tokens) {
    return ojson{
        {"prompt_tokens", prompt_tokens},
        {"completion_tokens", completion_tokens},
        {"total_tokens", prompt_tokens + completion_tokens},
    };
}

ojson logprobs_json(
    completion_kind kind,
    const std::vector<sampled_token>& tokens,
    const token_text_fn& text_of,
    std::size_t text_offset
) {
    if (kind == completion_kind::chat) {
        ojson content = ojson::array();
        for (const auto& t : tokens) {
            auto text = text_of(t.id);
            ojson top = ojson::array();
            for (const auto& alt : t.top) {
                auto alt_text = text_of(alt.id);
                top.push_back(
                    {{"token", alt_text}, {"logprob", alt.logprob}, {"bytes", bytes_of(alt_text)}}
                );
            }
            content.push_back(
                {{"token", text},
                 {"logprob", t.logprob},
                 {"bytes", bytes_of(text)},
                 {"top_logprobs", std::move(top)}}
            );
        }
        return ojson{{"content", std::move(content)}};
    }
    ojson out = {
        {"tokens", ojson::array()},
        {"token_logprobs", ojson::array()},
        {"top_logprobs", ojson::array()},
        {"text_offset", ojson::array()},
    };
    for (const auto& t : tokens) {
        auto text = text_of(t.id);
        out["tokens"].push_back(text);
        out["token_logprobs"].push_back(t.logprob);
        ojson top = ojson::object();
        for (const auto& alt : t.top) top[text_of(alt.id)] = alt.logprob;
        out["top_logprobs"].push_back(std::move(top));
        out["text_offset"].push_back(text_offset);
        text_offset += text.size();
    }
    return out;
}

std::string completion_body(
    const completion_envelope& envelope,
    const std::string& text,
    const std::optional<ojson>& logprobs,
    finish_reason finish,
    std::size_t prompt_tokens,
    std::size_t completion_tokens
) {
    auto out = envelope_json(envelope, false);
    ojson choice = {{"index", 0}};
    if (envelope.kind == completion_kind::chat) {
        choice["message"] = {{"role", "assistant"}, {"content", text}};
    } else {
        choice["text"] = text;
    }
    choice["logprobs"] = logprobs ? *logprobs : ojson(nullptr);
    choice["finish_reason"] = finish_json(finish);
    out["choices"] = ojson::array({std::move(choice)});
    out["usage"] = usage_json(prompt_tokens, completion_tokens);
    return dump(out);
}

std::string completion_chunk(
    const completion_envelope& envelope,
    const std::string& text,
    const std::optional<ojson>& logprobs,
    finish_reason finish,
    bool role_delta
) {
    auto out = envelope_json(envelope, true);
    ojson choice = {{"index", 0}};
    if (envelope.kind == completion_kind::chat) {
        ojson delta = ojson::object();
        if (role_delta) {
            delta["role"] = "assistant";
            delta["content"] = "";
        } else if (!text.empty() || finish == finish_reason::none) {
            delta["content"] = text;
        }
        choice["delta"] = std::move(delta);
    } else {
        choice["text"] = text;
    }
    choice["logprobs"] = logprobs ? *logprobs : ojson(nullptr);
    choice["finish_reason"] = finish_json(finish);
    out["choices"] = ojson::array({std::move(choice)});
    return dump(out);
}

std::string usage_chunk(
    const completion_envelope& envelope, std::size_t prompt_tokens, std::size_t completion_tokens
) {
    auto out = envelope_json(envelope, true);
    out["choices"] = ojson::array();
    out["usage"] = usage_json(prompt_tokens, completion_tokens);
    return dump(out);
}

}  // namespace solar::runner
