// POST /v1/classify in seed 000's shape: logits to label scores, and the response body
// {"id":"clf-...","object":"classification","created","model",
//  "choices":[{"index","label","score"[,"scores":[{"label","score"},...]]}],"usage"}.
#pragma once

#include <solar/runner/request_inputs.hpp>

#include <optional>
#include <string>
#include <vector>

namespace solar::runner {

// `top_k`: absent = only the best label per input; a positive integer = also "scores", the k
// best labels sorted by score (more than there are labels gives all of them). 400 otherwise.
api_result<std::optional<std::size_t>> parse_top_k(const nlohmann::json& body);

struct label_score {
    std::string label;
    double score = 0;
};

// Probabilities from one row of logits, sorted best first (ties keep label order): softmax
// over two or more outputs, a sigmoid for a single output. `labels` names the outputs; an
// output without a name is called LABEL_i.
std::vector<label_score> score_labels(
    const std::vector<float>& logits, const std::vector<std::string>& labels
);

// The response body; `id` is the response id ("clf-..."), `created` unix seconds.
nlohmann::ordered_json classify_body(
    const std::vector<std::vector<label_score>>& scores,
    std::optional<std::size_t> top_k,
    const std::string& id,
    std::int64_t created,
    const std::string& model,
    std::size_t prompt_tokens
);

}  // namespace solar::runner
