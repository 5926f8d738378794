// A SAX pass over the request body: nlohmann's lexer validates the whole text, while the
// handler only remembers the top-level "model" value, so no DOM is allocated per request.
#include <solar/control/request_model.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>

namespace solar::control {

namespace {

using json = nlohmann::json;

// What the top-level "model" member held, as far as the proxy cares.
enum class model_value { absent, string, other };

class model_finder {
public:
    bool null() { return scalar(); }
    bool boolean(bool) { return scalar(); }
    bool number_integer(json::number_integer_t) { return scalar(); }
    bool number_unsigned(json::number_unsigned_t) { return scalar(); }
    bool number_float(json::number_float_t, const json::string_t&) { return scalar(); }
    bool binary(json::binary_t&) { return scalar(); }
    bool string(json::string_t& value) {
        if (at_model_value()) {
            kind_ = model_value::string;
            model_ = std::move(value);
        }
        next_is_model_ = false;
        return true;
    }
    bool start_object(std::size_t) { return open(true); }
    bool end_object() { return close(); }
    bool start_array(std::size_t) { return open(false); }
    bool end_array() { return close(); }
    bool key(json::string_t& name) {
        next_is_model_ = depth_ == 1 && name == "model";
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const json::exception&) {
        invalid_ = true;
        return false;
    }

    bool invalid() const { return invalid_; }
    bool top_level_is_object() const { return top_level_object_.value_or(false); }
    model_value kind() const { return kind_; }
    std::string& model() { return model_; }

private:
    bool at_model_value() const { return next_is_model_ && depth_ == 1; }
    bool scalar() {
        if (!top_level_object_) top_level_object_ = false;
        if (at_model_value()) kind_ = model_value::other;
        next_is_model_ = false;
        return true;
    }
    bool open(bool object) {
        if (!top_level_object_) top_level_object_ = object;
        if (at_model_value()) kind_ = model_value::other;
        next_is_model_ = false;
        ++depth_;
        return true;
    }
    bool close() {
        --depth_;
        return true;
    }

    std::size_t depth_ = 0;
    bool next_is_model_ = false;
    bool invalid_ = false;
    std::optional<bool> top_level_object_;
    model_value kind_ = model_value::absent;
    std::string model_;
};

}  // namespace

boost::system::result<std::string, core::api_error> read_model_field(std::string_view body) {
    model_finder finder;
    bool ok = json::sax_parse(body.begin(), body.end(), &finder);
    if (!ok || finder.invalid()) {
        return core::bad_request("Request body is not valid JSON", std::nullopt, "invalid_json");
    }
    if (!finder.top_level_is_object()) {
        return core::bad_request(
            "Request body must be a JSON object", std::nullopt, "invalid_json"
        );
    }
    if (finder.kind() != model_value::string || finder.model().empty()) {
        return core::bad_request(
            "You must provide a model parameter (a non-empty string)", "model", "missing_model"
        );
    }
    return std::move(finder.model());
}

}  // namespace solar::control
