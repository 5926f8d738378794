// POST /v1/embeddings: options, shortening, base64 and the hand-written response body (the
// vectors dominate it; shortest float text keeps it small and exact).
#include <solar/runner/embeddings_api.hpp>

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>

namespace solar::runner {

api_result<embedding_options> parse_embedding_options(
    const nlohmann::json& body, std::size_t width
) {
    embedding_options out;
    if (auto it = body.find("encoding_format"); it != body.end() && !it->is_null()) {
        if (!it->is_string() || (*it != "float" && *it != "base64")) {
            return core::bad_request(
                "'encoding_format' must be \"float\" or \"base64\"",
                "encoding_format",
                "invalid_value"
            );
        }
        out.base64 = *it == "base64";
    }
    if (auto it = body.find("dimensions"); it != body.end() && !it->is_null()) {
        bool ok = it->is_number_integer() && it->get<std::int64_t>() >= 1 &&
                  (width == 0 || it->get<std::uint64_t>() <= width);
        if (!ok) {
            return core::bad_request(
                "'dimensions' must be an integer from 1 to " +
                    (width ? std::to_string(width) : std::string("the model's width")),
                "dimensions",
                "invalid_value"
            );
        }
        out.dimensions = it->get<std::size_t>();
    }
    return out;
}

void shorten_embeddings(
    std::vector<std::vector<float>>& rows, std::size_t dimensions, bool normalize
) {
    for (auto& row : rows) {
        if (row.size() <= dimensions) continue;
        row.resize(dimensions);
        if (!normalize) continue;
        double sum = 0;
        for (float v : row) sum += static_cast<double>(v) * v;
        if (sum <= 0) continue;
        auto scale = static_cast<float>(1.0 / std::sqrt(sum));
        for (float& v : row) v *= scale;
    }
}

std::string base64_floats(const std::vector<float>& values) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string bytes;
    bytes.reserve(values.size() * 4);
    for (float v : values) {
        auto bits = std::bit_cast<std::uint32_t>(v);
        for (int shift = 0; shift < 32; shift += 8) {
            bytes.push_back(static_cast<char>((bits >> shift) & 0xff));
        }
    }
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        std::uint32_t n = (std::uint8_t(bytes[i]) << 16) | (std::uint8_t(bytes[i + 1]) << 8) |
                          std::uint8_t(bytes[i + 2]);
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
        out += alphabet[n & 63];
    }
    if (std::size_t rest = bytes.size() - i; rest > 0) {
        std::uint32_t n = std::uint8_t(bytes[i]) << 16;
        if (rest == 2) n |= std::uint8_t(bytes[i + 1]) << 8;
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += rest == 2 ? alphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

namespace {

void append_float(std::string& out, float v) {
    if (!std::isfinite(v)) {
        out += "0";  // JSON has no NaN or infinity; a broken model must not break the body
        return;
    }
    std::array<char, 32> buffer{};
    auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), v);
    out.append(buffer.data(), end);
}

}  // namespace

std::string embeddings_body(
    const std::vector<std::vector<float>>& rows,
    bool base64,
    const std::string& model,
    std::size_t prompt_tokens
) {
    std::string out = R"({"object":"list","data":[)";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (i) out += ',';
        out += R"({"object":"embedding","index":)" + std::to_string(i) + R"(,"embedding":)";
        if (base64) {
            out += '"' + base64_floats(rows[i]) + '"';
        } else {
            out += '[';
            for (std::size_t j = 0; j < rows[i].size(); ++j) {
                if (j) out += ',';
                append_float(out, rows[i][j]);
            }
            out += ']';
        }
        out += '}';
    }
    out += R"(],"model":)" + nlohmann::json(model).dump();
    out += R"(,"usage":{"prompt_tokens":)" + std::to_string(prompt_tokens) + R"(,"total_tokens":)" +
           std::to_string(prompt_tokens) + "}}";
    return out;
}

}  // namespace solar::runner
