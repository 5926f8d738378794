// .env parsing with a single forward cursor, so quoted values may span lines.
#include <solar/core/dotenv.hpp>

#include <cctype>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

namespace solar::core {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
    return text;
}

bool valid_key(std::string_view key) {
    if (key.empty()) return false;
    auto first = static_cast<unsigned char>(key.front());
    if (!std::isalpha(first) && first != '_') return false;
    for (unsigned char c : key) {
        if (!std::isalnum(c) && c != '_' && c != '.' && c != '-') return false;
    }
    return true;
}

// Walks the text; `pos` always sits at the start of a line between entries.
class dotenv_parser {
public:
    explicit dotenv_parser(std::string_view text) : text_(text) {}

    std::map<std::string, std::string> run() {
        std::map<std::string, std::string> out;
        while (pos_ < text_.size()) {
            auto line = next_line_view();
            auto content = trim(line);
            if (content.empty() || content.front() == '#') {
                skip_line();
                continue;
            }
            if (content.starts_with("export") && content.size() > 6 && is_blank(content[6])) {
                content = trim(content.substr(6));
            }
            auto equals = content.find('=');
            if (equals == std::string_view::npos) {
                skip_line();
                continue;
            }
            auto key = trim(content.substr(0, equals));
            // Position the cursor right after '=' within the original text.
            pos_ = static_cast<std::size_t>(content.data() - text_.data()) + equals + 1;
            auto value = read_value();
            if (valid_key(key)) out[std::string(key)] = std::move(value);
        }
        return out;
    }

private:
    std::string_view next_line_view() const {
        auto end = text_.find('\n', pos_);
        if (end == std::string_view::npos) end = text_.size();
        return text_.substr(pos_, end - pos_);
    }

    void skip_line() {
        auto end = text_.find('\n', pos_);
        pos_ = end == std::string_view::npos ? text_.size() : end + 1;
    }

    std::string read_value() {
        auto value_start = pos_;
        while (pos_ < text_.size() && is_blank(text_[pos_])) ++pos_;
        if (pos_ < text_.size() && (text_[pos_] == '"' || text_[pos_] == '\'')) {
            char quote = text_[pos_];
            auto close = find_closing(quote, pos_ + 1);
            if (close != std::string_view::npos) {
                auto body = text_.substr(pos_ + 1, close - pos_ - 1);
                pos_ = close + 1;
                skip_line();  // whatever follows the closing quote is a comment or noise
                auto raw = without_carriage_returns(body);
                return quote == '"' ? unescape(raw) : raw;
            }
            // Unterminated quote: read the line as an unquoted value rather than eat the file.
        }
        pos_ = value_start;  // keep the blank before a leading '#' for the comment check
        auto line = next_line_view();
        skip_line();
        // An inline comment starts at '#' preceded by whitespace.
        for (std::size_t i = 1; i < line.size(); ++i) {
            if (line[i] == '#' && is_blank(line[i - 1])) {
                line = line.substr(0, i);
                break;
            }
        }
        return std::string(trim(line));
    }

    std::size_t find_closing(char quote, std::size_t from) const {
        for (std::size_t i = from; i < text_.size(); ++i) {
            if (quote == '"' && text_[i] == '\\') {
                ++i;  // skip the escaped character, which may be a quote
                continue;
            }
            if (text_[i] == quote) return i;
        }
        return std::string_view::npos;
    }

    // A CRLF file's multi-line quoted value must not keep the carriage returns.
    static std::string without_carriage_returns(std::string_view body) {
        std::string out;
        out.reserve(body.size());
        for (std::size_t i = 0; i < body.size(); ++i) {
            if (body[i] == '\r' && i + 1 < body.size() && body[i + 1] == '\n') continue;
            out += body[i];
        }
        return out;
    }

    static std::string unescape(std::string_view body) {
        std::string out;
        out.reserve(body.size());
        for (std::size_t i = 0; i < body.size(); ++i) {
            if (body[i] != '\\' || i + 1 == body.size()) {
                out += body[i];
                continue;
            }
            char next = body[++i];
            switch (next) {
                case 'n':
                    out += '\n';
                    break;
                case 'r':
                    out += '\r';
                    break;
                case 't':
                    out += '\t';
                    break;
                case '\\':
                    out += '\\';
                    break;
                case '"':
                    out += '"';
                    break;
                default:
                    // Unknown escapes stay literal, as python-dotenv leaves them.
                    out += '\\';
                    out += next;
            }
        }
        return out;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

}  // namespace

std::map<std::string, std::string> parse_dotenv(std::string_view text) {
    return dotenv_parser(text).run();
}

std::map<std::string, std::string> load_dotenv_file(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
        if (ec && ec != std::errc::no_such_file_or_directory) {
            throw std::system_error(ec, "cannot access " + file.string());
        }
        return {};
    }
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw std::system_error(errno, std::generic_category(), "cannot read " + file.string());
    std::ostringstream content;
    content << in.rdbuf();
    return parse_dotenv(content.str());
}

}  // namespace solar::core
