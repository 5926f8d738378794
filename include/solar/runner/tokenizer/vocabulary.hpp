// A model vocabulary: token strings to ids and back, looked up without copying string views.
#pragma once

#include <solar/runner/tokenizer/error.hpp>

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace solar::runner {

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class vocabulary {
public:
    // {"token": id, ...}; fails when the value is not such an object or ids are negative.
    static tokenizer_result<vocabulary> from_json(const nlohmann::json& j);

    std::optional<std::int32_t> find(std::string_view token) const {
        auto it = ids_.find(token);
        if (it == ids_.end()) return std::nullopt;
        return it->second;
    }
    const std::string* token(std::int32_t id) const {
        if (id < 0 || static_cast<std::size_t>(id) >= tokens_.size() || !present_[id]) {
            return nullptr;
        }
        return &tokens_[id];
    }
    std::size_t size() const { return ids_.size(); }
    std::vector<std::pair<std::string, std::int32_t>> entries() const {
        return {ids_.begin(), ids_.end()};
    }

private:
    std::unordered_map<std::string, std::int32_t, string_hash, std::equal_to<>> ids_;
    std::vector<std::string> tokens_;
    std::vector<bool> present_;
};

}  // namespace solar::runner
