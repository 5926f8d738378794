// Base URL parsing on top of Boost.URL, plus the checks and normalisation the registry relies on.
#include <solar/core/url.hpp>

#include <boost/url.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

namespace solar::core {

namespace {

class url_category_impl : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "solar.url"; }
    std::string message(int value) const override {
        switch (static_cast<url_errc>(value)) {
            case url_errc::empty:
                return "must not be empty";
            case url_errc::bad_scheme:
                return "scheme must be http or https";
            case url_errc::missing_host:
                return "host is missing";
            case url_errc::bad_port:
                return "port must be a number from 1 to 65535";
            case url_errc::has_query_or_fragment:
                return "must not contain a query or fragment";
            case url_errc::userinfo_not_allowed:
                return "must not contain user credentials (use api_key)";
            case url_errc::malformed:
                return "is not a valid URL";
        }
        return "unknown URL error";
    }
};

constexpr std::string_view whitespace = " \t\r\n\f\v";

std::string_view trim(std::string_view text) {
    auto first = text.find_first_not_of(whitespace);
    if (first == std::string_view::npos) return {};
    auto last = text.find_last_not_of(whitespace);
    return text.substr(first, last - first + 1);
}

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return out;
}

bool iequals(std::string_view a, std::string_view b) { return lowercase(a) == lowercase(b); }

// 1..65535 from decimal digits; nothing else.
std::optional<std::uint16_t> parse_port(std::string_view text) {
    if (text.empty() || text.size() > 5) return std::nullopt;
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    if (value == 0 || value > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

// A non-numeric port is a grammar error (or, in Boost.URL 1.81, misread as a path); tell that
// case apart from other malformed text so the user hears what to fix.
bool looks_like_bad_port(std::string_view text) {
    auto start = text.find("://");
    if (start == std::string_view::npos) return false;
    auto authority = text.substr(start + 3);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    if (auto at = authority.rfind('@'); at != std::string_view::npos) {
        authority = authority.substr(at + 1);
    }
    std::size_t colon;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos || close + 1 >= authority.size()) return false;
        if (authority[close + 1] != ':') return false;
        colon = close + 1;
    } else {
        colon = authority.find(':');
        if (colon == std::string_view::npos || colon == 0) return false;
    }
    auto port = authority.substr(colon + 1);
    return !port.empty() &&
           !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool valid_reg_name(std::string_view host) {
    return std::all_of(host.begin(), host.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '.' || c == '_';
    });
}

}  // namespace

const boost::system::error_category& url_category() {
    static const url_category_impl category;
    return category;
}

boost::system::error_code make_error_code(url_errc e) {
    return {static_cast<int>(e), url_category()};
}

std::string url_errc_message(url_errc e) { return url_category().message(static_cast<int>(e)); }

std::string base_url::authority() const {
    std::string out;
    append_authority(out);
    return out;
}

void base_url::append_authority(std::string& out) const {
    bool ipv6 = host.find(':') != std::string::npos;
    if (ipv6) out += '[';
    out += host;
    if (ipv6) out += ']';
    out += ':';
    std::array<char, 8> digits{};
    auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), port);
    out.append(digits.data(), end);
}

std::string base_url::to_string() const { return scheme + "://" + authority() + path_prefix; }

boost::system::result<base_url> parse_base_url(std::string_view text) {
    text = trim(text);
    if (text.empty()) return url_errc::empty;

    // Check the scheme before the grammar, so "localhost:8001" and "ftp://x" read as what
    // they are rather than as malformed.
    auto separator = text.find("://");
    auto colon = text.find(':');
    auto scheme_text = text.substr(0, separator == std::string_view::npos ? colon : separator);
    bool known_scheme = iequals(scheme_text, "http") || iequals(scheme_text, "https");
    if (!known_scheme) return url_errc::bad_scheme;
    if (separator == std::string_view::npos) return url_errc::malformed;

    if (looks_like_bad_port(text)) return url_errc::bad_port;
    auto parsed = boost::urls::parse_uri(text);
    if (!parsed) return url_errc::malformed;
    const auto& view = *parsed;
    // Boost.URL 1.81 reads "http://h:abc" as host "h", empty port, path "abc"; after an
    // authority the path must be empty or start with '/'.
    if (!view.encoded_path().empty() && view.encoded_path().front() != '/') {
        return url_errc::malformed;
    }

    if (view.has_userinfo()) return url_errc::userinfo_not_allowed;
    if (view.has_query() || view.has_fragment()) return url_errc::has_query_or_fragment;

    base_url out;
    out.scheme = lowercase(view.scheme());

    switch (view.host_type()) {
        case boost::urls::host_type::none:
            return url_errc::missing_host;
        case boost::urls::host_type::ipvfuture:
            return url_errc::malformed;
        case boost::urls::host_type::ipv4:
            out.host = view.host_ipv4_address().to_string();
            break;
        case boost::urls::host_type::ipv6:
            // Canonical text, so [0:0::1] and [::1] are the same registered host.
            out.host = view.host_ipv6_address().to_string();
            break;
        case boost::urls::host_type::name: {
            auto name = lowercase(view.host_name());
            if (name.empty()) return url_errc::missing_host;
            if (!valid_reg_name(name)) return url_errc::malformed;
            out.host = std::move(name);
            break;
        }
    }

    if (view.has_port() && !view.port().empty()) {
        auto port = parse_port(view.port());
        if (!port) return url_errc::bad_port;
        out.port = *port;
    } else {
        // An absent or empty port means the scheme's default (RFC 3986 section 6.2.3).
        out.port = out.is_tls() ? 443 : 80;
    }

    boost::urls::url normalised(view);
    normalised.normalize_path();  // resolves dot segments and percent-encoding case
    std::string path(normalised.encoded_path());
    while (!path.empty() && path.back() == '/') path.pop_back();
    out.path_prefix = std::move(path);
    return out;
}

}  // namespace solar::core
