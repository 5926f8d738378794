// Host request validation and the mapping of host errors to HTTP answers.
#include <solar/control/host_request.hpp>
#include <solar/core/json_error.hpp>
#include <solar/core/url.hpp>

#include <nlohmann/json.hpp>

namespace solar::control {

namespace {

class host_category_impl : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "solar.host"; }
    std::string message(int value) const override {
        switch (static_cast<host_errc>(value)) {
            case host_errc::invalid_body:
                return "request body must be a JSON object";
            case host_errc::missing_field:
                return "a required field is missing";
            case host_errc::invalid_type:
                return "a field has the wrong JSON type";
            case host_errc::invalid_value:
                return "a field has an invalid value";
            case host_errc::invalid_url:
                return "invalid host URL";
            case host_errc::duplicate_url:
                return "a host with this URL is already registered";
            case host_errc::not_found:
                return "host not found";
        }
        return "unknown host error";
    }
};

constexpr std::size_t max_name_chars = 200;
constexpr std::size_t max_api_key_bytes = 4096;

host_error field_error(host_errc code, std::string_view field, std::string_view reason) {
    return {code, std::string(field), std::string(field) + ": " + std::string(reason)};
}

std::string_view trim(std::string_view text) {
    constexpr std::string_view whitespace = " \t\r\n\f\v";
    auto first = text.find_first_not_of(whitespace);
    if (first == std::string_view::npos) return {};
    auto last = text.find_last_not_of(whitespace);
    return text.substr(first, last - first + 1);
}

bool has_control_chars(std::string_view text) {
    for (unsigned char c : text) {
        if (c < 0x20 || c == 0x7f) return true;
    }
    return false;
}

// UTF-8 code points: every byte except continuation bytes starts one.
std::size_t utf8_length(std::string_view text) {
    std::size_t count = 0;
    for (unsigned char c : text) count += (c & 0xc0) != 0x80;
    return count;
}

// The string at body[field]: nullopt when absent; an error when of another type.
host_result<std::optional<std::string>> string_field(
    const nlohmann::json& body, std::string_view field, bool null_ok
) {
    auto it = body.find(field);
    if (it == body.end()) return std::optional<std::string>{};
    if (it->is_null() && null_ok) return std::optional<std::string>{std::string{}};
    if (!it->is_string()) return field_error(host_errc::invalid_type, field, "must be a string");
    return std::optional<std::string>{it->get<std::string>()};
}

host_result<std::string> check_name(std::string_view raw) {
    auto name = trim(raw);
    if (name.empty()) return field_error(host_errc::invalid_value, "name", "must not be empty");
    if (utf8_length(name) > max_name_chars) {
        return field_error(
            host_errc::invalid_value,
            "name",
            "must be at most " + std::to_string(max_name_chars) + " characters"
        );
    }
    if (has_control_chars(name)) {
        return field_error(host_errc::invalid_value, "name", "must not contain control characters");
    }
    return std::string(name);
}

host_result<std::string> check_api_key(std::string_view key) {
    if (key.empty()) return field_error(host_errc::invalid_value, "api_key", "must not be empty");
    // The key travels in an X-API-Key header; a line break there would split the request.
    if (has_control_chars(key)) {
        return field_error(
            host_errc::invalid_value, "api_key", "must not contain control characters"
        );
    }
    if (key.size() > max_api_key_bytes) {
        return field_error(
            host_errc::invalid_value,
            "api_key",
            "must be at most " + std::to_string(max_api_key_bytes) + " bytes"
        );
    }
    return std::string(key);
}

host_result<std::string> check_ca_file(std::string_view path) {
    if (has_control_chars(path)) {
        return field_error(
            host_errc::invalid_value, "ca_file", "must not contain control characters"
        );
    }
    return std::string(path);
}

}  // namespace

// ---- errors ----

const boost::system::error_category& host_category() {
    static const host_category_impl category;
    return category;
}

boost::system::error_code make_error_code(host_errc e) {
    return {static_cast<int>(e), host_category()};
}

void throw_exception_from_error(const host_error& e, const boost::source_location&) {
    throw boost::system::system_error(make_error_code(e.code), e.message);
}

bool is_not_found(const host_error& e) { return e.code == host_errc::not_found; }

core::api_error host_validation_error(const host_error& e) {
    std::optional<std::string> param;
    if (!e.field.empty()) param = e.field;
    switch (e.code) {
        case host_errc::not_found: {
            auto error = core::not_found(e.message, "host_not_found");
            error.param = "host_id";
            return error;
        }
        case host_errc::duplicate_url:
            return core::conflict(e.message, param, "duplicate_url");
        case host_errc::invalid_body:
            return core::bad_request(e.message, param, "invalid_json");
        case host_errc::missing_field:
            return core::bad_request(e.message, param, "missing_field");
        case host_errc::invalid_type:
            return core::bad_request(e.message, param, "invalid_type");
        case host_errc::invalid_value:
            return core::bad_request(e.message, param, "invalid_value");
        case host_errc::invalid_url:
            return core::bad_request(e.message, param, "invalid_url");
    }
    return core::bad_request(e.message, param, "invalid_request");
}

host_result<std::string> normalise_host_url(std::string_view raw) {
    auto url = core::parse_base_url(raw);
    // The url category's messages are written for clients ("scheme must be http or https").
    if (!url) return field_error(host_errc::invalid_url, "url", url.error().message());
    return url->to_string();
}

host_result<host_create> parse_host_create(const nlohmann::json& body) {
    if (!body.is_object()) {
        return host_error{host_errc::invalid_body, "", "request body must be a JSON object"};
    }
    host_create out;

    auto required = [&](std::string_view field) -> host_result<std::string> {
        auto value = string_field(body, field, false);
        if (!value) return value.error();
        if (!*value) return field_error(host_errc::missing_field, field, "is required");
        return std::move(**value);
    };

    auto name = required("name");
    if (!name) return name.error();
    auto checked_name = check_name(*name);
    if (!checked_name) return checked_name.error();
    out.name = std::move(*checked_name);

    auto url = required("url");
    if (!url) return url.error();
    auto checked_url = normalise_host_url(*url);
    if (!checked_url) return checked_url.error();
    out.url = std::move(*checked_url);

    auto key = required("api_key");
    if (!key) return key.error();
    auto checked_key = check_api_key(*key);
    if (!checked_key) return checked_key.error();
    out.api_key = std::move(*checked_key);

    auto ca_file = string_field(body, "ca_file", true);
    if (!ca_file) return ca_file.error();
    if (*ca_file) {
        auto checked = check_ca_file(**ca_file);
        if (!checked) return checked.error();
        out.ca_file = std::move(*checked);
    }
    return out;
}

host_result<host_patch> parse_host_patch(const nlohmann::json& body) {
    if (!body.is_object()) {
        return host_error{host_errc::invalid_body, "", "request body must be a JSON object"};
    }
    host_patch out;

    // Applies one optional field: absent stays nullopt, present must pass `check`.
    auto apply =
        [&](std::string_view field, bool null_ok, auto check, std::optional<std::string>& target
        ) -> std::optional<host_error> {
        auto value = string_field(body, field, null_ok);
        if (!value) return value.error();
        if (!*value) return std::nullopt;
        auto checked = check(**value);
        if (!checked) return checked.error();
        target = std::move(*checked);
        return std::nullopt;
    };

    if (auto e = apply("name", false, check_name, out.name)) return *e;
    if (auto e = apply("url", false, normalise_host_url, out.url)) return *e;
    if (auto e = apply("api_key", false, check_api_key, out.api_key)) return *e;
    if (auto e = apply("ca_file", true, check_ca_file, out.ca_file)) return *e;
    return out;
}

}  // namespace solar::control
