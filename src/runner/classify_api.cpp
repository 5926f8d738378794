// POST /v1/classify: top_k, label scores and the response body.
#include <solar/runner/classify_api.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace solar::runner {

api_result<std::optional<std::size_t>> parse_top_k(const nlohmann::json& body) {
    auto it = body.find("top_k");
    if (it == body.end() || it->is_null()) return std::optional<std::size_t>{};
    if (!it->is_number_integer() || it->get<std::int64_t>() < 1) {
        return core::bad_request("'top_k' must be a positive integer", "top_k", "invalid_value");
    }
    return std::optional<std::size_t>{it->get<std::size_t>()};
}

std::vector<label_score> score_labels(
    const std::vector<float>& logits, const std::vector<std::string>& labels
) {
    std::vector<double> probs(logits.size());
    if (logits.size() == 1) {
        probs[0] = 1.0 / (1.0 + std::exp(-static_cast<double>(logits[0])));
    } else if (!logits.empty()) {
        double top = *std::max_element(logits.begin(), logits.end());
        double sum = 0;
        for (std::size_t i = 0; i < logits.size(); ++i) {
            probs[i] = std::exp(static_cast<double>(logits[i]) - top);
            sum += probs[i];
        }
        for (auto& p : probs) p /= sum;
    }
    std::vector<label_score> out;
    out.reserve(probs.size());
    for (std::size_t i = 0; i < probs.size(); ++i) {
        out.push_back({i < labels.size() ? labels[i] : "LABEL_" + std::to_string(i), probs[i]});
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.score > b.score;
    });
    return out;
}

nlohmann::ordered_json classify_body(
    const std::vector<std::vector<label_score>>& scores,
    std::optional<std::size_t> top_k,
    const std::string& id,
    std::int64_t created,
    const std::string& model,
    std::size_t prompt_tokens
) {
    auto choices = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < scores.size(); ++i) {
        nlohmann::ordered_json choice = {{"index", i}};
        if (!scores[i].empty()) {
            choice["label"] = scores[i].front().label;
            choice["score"] = scores[i].front().score;
        } else {
            choice["label"] = nullptr;
            choice["score"] = nullptr;
        }
        if (top_k) {
            auto all = nlohmann::ordered_json::array();
            for (std::size_t k = 0; k < std::min(*top_k, scores[i].size()); ++k) {
                all.push_back({{"label", scores[i][k].label}, {"score", scores[i][k].score}});
            }
            choice["scores"] = std::move(all);
        }
        choices.push_back(std::move(choice));
    }
    return {
        {"id", id},
        {"object", "classification"},
        {"created", created},
        {"model", model},
        {"choices", std::move(choices)},
        {"usage", {{"prompt_tokens", prompt_tokens}, {"total_tokens", prompt_tokens}}},
    };
}

}  // namespace solar::runner
