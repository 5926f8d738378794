// Jinja tokenizer: a port of the reference lexer's control flow so whitespace handling matches.
#include "solar/jinja/lexer.hpp"

#include <array>
#include <utility>

#include "solar/jinja/error.hpp"
#include "solar/jinja/js_text.hpp"

namespace solar::jinja {
namespace {

bool is_word(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }

class lexer {
public:
    explicit lexer(std::string_view source)
        : source_(source), pre_(preprocess(source)), src_(pre_.text) {}

    std::vector<token> run();

private:
    [[noreturn]] void fail(const std::string& message, std::size_t at) const {
        std::size_t line = 0, column = 0;
        line_column(source_, original(at), line, column);
        throw template_error(error_kind::syntax, message, line, column);
    }
    std::size_t original(std::size_t at) const {
        if (pre_.origin.empty()) return 0;
        return at < pre_.origin.size() ? pre_.origin[at] : pre_.origin.back() + 1;
    }
    char at(std::size_t i) const { return i < src_.size() ? src_[i] : '\0'; }
    void push(token_type type, std::string value, std::size_t start) {
        tokens_.push_back(token{type, std::move(value), original(start)});
    }
    token_type last_type() const { return tokens_.back().type; }
    // The reference's consumeWhile: handles backslash escapes and fails at the end of input.
    template <typename Predicate>
    std::string consume_while(Predicate predicate);
    void strip_trailing_whitespace();
    void skip_leading_whitespace() {
        while (std::size_t n = js_space_at(src_, pos_)) pos_ += n;
    }
    bool starts(std::string_view s) const { return src_.compare(pos_, s.size(), s) == 0; }
    bool lex_comment();
    void lex_sign(char c);
    bool lex_operator();

    std::string_view source_;
    preprocessed pre_;
    std::string_view src_;
    std::size_t pos_ = 0;
    int curly_depth_ = 0;
    std::vector<token> tokens_;
};

template <typename Predicate>
std::string lexer::consume_while(Predicate predicate) {
    std::string out;
    while (pos_ < src_.size() && predicate(src_[pos_])) {
        if (src_[pos_] == '\\') {
            const std::size_t start = pos_++;
            if (pos_ >= src_.size()) fail("Unexpected end of input", start);
            const char escaped = src_[pos_++];
            if (escaped == 'x' || escaped == 'u') {
                const std::size_t length = escaped == 'x' ? 2 : 4;
                const std::string hex(src_.substr(pos_, length));
                if (hex.size() != length ||
                    hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
                    fail(
                        "Invalid hexadecimal escape sequence: \\" + std::string(1, escaped) + hex,
                        start
                    );
                }
                append_utf8(out, static_cast<char32_t>(std::stoul(hex, nullptr, 16)));
                pos_ += length;
                continue;
            }
            static constexpr std::array<std::pair<char, char>, 9> escapes{
                {{'n', '\n'},
                 {'t', '\t'},
                 {'r', '\r'},
                 {'b', '\b'},
                 {'f', '\f'},
                 {'v', '\v'},
                 {'\'', '\''},
                 {'"', '"'},
                 {'\\', '\\'}}};
            bool known = false;
            for (const auto& [from, to] : escapes) {
                if (from == escaped) {
                    out += to;
                    known = true;
                }
            }
            if (!known) fail("Unexpected escaped character: " + std::string(1, escaped), start);
            continue;
        }
        out += src_[pos_++];
        if (pos_ >= src_.size()) fail("Unexpected end of input", pos_);
    }
    return out;
}

void lexer::strip_trailing_whitespace() {
    if (!tokens_.empty() && last_type() == token_type::text) {
        tokens_.back().value = std::string(js_trim_end(tokens_.back().value));
        if (tokens_.back().value.empty()) tokens_.pop_back();
    }
}

bool lexer::lex_comment() {
    const std::size_t start = pos_;
    pos_ += 2;
    const bool strip_before = at(pos_) == '-';
    if (strip_before) ++pos_;
    std::string comment;
    while (at(pos_) != '#' || at(pos_ + 1) != '}') {
        if (pos_ + 2 >= src_.size()) fail("Missing end of comment tag", start);
        comment += src_[pos_++];
    }
    const bool strip_after = !comment.empty() && comment.back() == '-';
    if (strip_after) comment.pop_back();
    if (strip_before) strip_trailing_whitespace();
    push(token_type::comment, comment, start);
    pos_ += 2;
    if (strip_after) skip_leading_whitespace();
    return true;
}

void lexer::lex_sign(char c) {
    const std::size_t start = pos_++;
    std::string num = consume_while(is_digit);
    if (!num.empty() && at(pos_) == '.' && is_digit(at(pos_ + 1))) {
        ++pos_;
        num += "." + consume_while(is_digit);
    }
    push(
        num.empty() ? token_type::unary_operator : token_type::numeric_literal,
        std::string(1, c) + num,
        start
    );
}

bool lexer::lex_operator() {
    // Longest and control sequences first, in the reference's ORDERED_MAPPING_TABLE order.
    static constexpr std::array<std::pair<std::string_view, token_type>, 27> table{
        {{"{%", token_type::open_statement},
         {"%}", token_type::close_statement},
         {"{{", token_type::open_expression},
         {"}}", token_type::close_expression},
         {"(", token_type::open_paren},
         {")", token_type::close_paren},
         {"{", token_type::open_curly_bracket},
         {"}", token_type::close_curly_bracket},
         {"[", token_type::open_square_bracket},
         {"]", token_type::close_square_bracket},
         {",", token_type::comma},
         {".", token_type::dot},
         {":", token_type::colon},
         {"|", token_type::pipe},
         {"<=", token_type::comparison_operator},
         {">=", token_type::comparison_operator},
         {"==", token_type::comparison_operator},
         {"!=", token_type::comparison_operator},
         {"<", token_type::comparison_operator},
         {">", token_type::comparison_operator},
         {"+", token_type::additive_operator},
         {"-", token_type::additive_operator},
         {"~", token_type::additive_operator},
         {"**", token_type::exponentiation_operator},
         {"*", token_type::multiplicative_operator},
         {"//", token_type::multiplicative_operator},
         {"/", token_type::multiplicative_operator}}};
    for (const auto& [seq, type] : table) {
        if (seq == "}}" && curly_depth_ > 0) continue;
        if (!starts(seq)) continue;
        push(type, std::string(seq), pos_);
        if (type == token_type::open_expression) curly_depth_ = 0;
        if (type == token_type::open_curly_bracket) ++curly_depth_;
        if (type == token_type::close_curly_bracket) --curly_depth_;
        pos_ += seq.size();
        return true;
    }
    if (starts("%")) {
        push(token_type::multiplicative_operator, "%", pos_++);
        return true;
    }
    if (starts("=")) {
        push(token_type::equals, "=", pos_++);
        return true;
    }
    return false;
}

std::vector<token> lexer::run() {
    while (pos_ < src_.size()) {
        const bool after_tag = tokens_.empty() || last_type() == token_type::close_statement ||
                               last_type() == token_type::close_expression ||
                               last_type() == token_type::comment;
        if (after_tag) {
            const std::size_t start = pos_;
            while (pos_ < src_.size() &&
                   !(src_[pos_] == '{' &&
                     (at(pos_ + 1) == '%' || at(pos_ + 1) == '{' || at(pos_ + 1) == '#'))) {
                ++pos_;
            }
            if (pos_ > start) {
                push(token_type::text, std::string(src_.substr(start, pos_ - start)), start);
                continue;
            }
        }
        if (starts("{#")) {
            lex_comment();
            continue;
        }
        if (starts("{%-") || starts("{{-")) {
            strip_trailing_whitespace();
            const bool statement = src_[pos_ + 1] == '%';
            push(
                statement ? token_type::open_statement : token_type::open_expression,
                statement ? "{%" : "{{",
                pos_
            );
            if (!statement) curly_depth_ = 0;
            pos_ += 3;
            continue;
        }
        consume_while([](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); });
        skip_leading_whitespace();
        if (pos_ >= src_.size()) break;
        if (starts("-%}") || starts("-}}")) {
            const bool statement = src_[pos_ + 1] == '%';
            push(
                statement ? token_type::close_statement : token_type::close_expression,
                statement ? "%}" : "}}",
                pos_
            );
            pos_ += 3;
            skip_leading_whitespace();
            continue;
        }
        const char c = src_[pos_];
        if (c == '-' || c == '+') {
            if (tokens_.empty() || last_type() == token_type::text)
                fail("Unexpected character: " + std::string(1, c), pos_);
            const token_type last = last_type();
            if (last != token_type::identifier && last != token_type::numeric_literal &&
                last != token_type::string_literal && last != token_type::close_paren &&
                last != token_type::close_square_bracket) {
                lex_sign(c);
                continue;
            }
        }
        if (lex_operator()) continue;
        if (c == '\'' || c == '"') {
            const std::size_t start = pos_++;
            std::string str = consume_while([c](char x) { return x != c; });
            if (pos_ >= src_.size()) fail("Unterminated string literal", start);
            push(token_type::string_literal, std::move(str), start);
            ++pos_;
            continue;
        }
        if (is_digit(c)) {
            const std::size_t start = pos_;
            std::string num = consume_while(is_digit);
            if ((tokens_.empty() || last_type() != token_type::dot) && at(pos_) == '.' &&
                is_digit(at(pos_ + 1))) {
                ++pos_;
                num += "." + consume_while(is_digit);
            }
            push(token_type::numeric_literal, std::move(num), start);
            continue;
        }
        if (is_word(c)) {
            const std::size_t start = pos_;
            push(token_type::identifier, consume_while(is_word), start);
            continue;
        }
        std::size_t end = pos_;
        next_code_point(src_, end);
        fail("Unexpected character: " + std::string(src_.substr(pos_, end - pos_)), pos_);
    }
    return std::move(tokens_);
}

}  // namespace

std::vector<token> tokenize(std::string_view source) { return lexer(source).run(); }

}  // namespace solar::jinja
