// GGUF and safetensors header readers with every length bounded by the bytes left.
#include <solar/host/model_facts.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace solar::host {

namespace {

class model_facts_category_impl : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "solar.model_facts"; }
    std::string message(int value) const override {
        switch (static_cast<model_facts_errc>(value)) {
            case model_facts_errc::not_found:
                return "model file or directory not found";
            case model_facts_errc::unreadable:
                return "model file cannot be read";
            case model_facts_errc::unknown_format:
                return "not a GGUF or safetensors file";
            case model_facts_errc::unsupported_version:
                return "unsupported GGUF version";
            case model_facts_errc::truncated:
                return "model file is truncated";
            case model_facts_errc::malformed:
                return "model file header is malformed";
            case model_facts_errc::no_weights:
                return "no model.safetensors, model.safetensors.index.json or .gguf file";
        }
        return "unknown model facts error";
    }
};

using boost::system::result;

constexpr std::uint64_t max_safetensors_header = 100 * 1024 * 1024;
constexpr std::uint64_t max_index_file = 64 * 1024 * 1024;
constexpr std::uint64_t max_gguf_key = 65535;         // the GGUF spec's limit
constexpr std::uint64_t max_kept_string = 64 * 1024;  // architecture, name
constexpr std::uint32_t max_tensor_dims = 4;          // GGML_MAX_DIMS
constexpr int max_array_depth = 8;

// Reads from a stream of known length, refusing any read past its end.
class bounded_reader {
public:
    bounded_reader(std::istream& in, std::uint64_t size) : in_(in), remaining_(size) {}

    std::uint64_t remaining() const { return remaining_; }

    result<void> read(void* out, std::uint64_t n) {
        if (n > remaining_) return model_facts_errc::truncated;
        in_.read(static_cast<char*>(out), static_cast<std::streamsize>(n));
        if (static_cast<std::uint64_t>(in_.gcount()) != n) return model_facts_errc::truncated;
        remaining_ -= n;
        return {};
    }

    result<void> skip(std::uint64_t n) {
        if (n > remaining_) return model_facts_errc::truncated;
        in_.seekg(static_cast<std::streamoff>(n), std::ios::cur);
        if (!in_) return model_facts_errc::unreadable;
        remaining_ -= n;
        return {};
    }

    // A little-endian unsigned integer of sizeof(T) bytes.
    template <typename T>
    result<T> read_le() {
        std::array<unsigned char, sizeof(T)> bytes{};
        if (auto r = read(bytes.data(), bytes.size()); !r) return r.error();
        T value = 0;
        for (std::size_t i = sizeof(T); i > 0; --i)
            value = static_cast<T>((value << 8) | bytes[i - 1]);
        return value;
    }

    result<std::string> read_string(std::uint64_t length) {
        if (length > remaining_) return model_facts_errc::truncated;
        std::string out(static_cast<std::size_t>(length), '\0');
        if (auto r = read(out.data(), length); !r) return r.error();
        return out;
    }

private:
    std::istream& in_;
    std::uint64_t remaining_;
};

// GGUF metadata value types (ggml/include/gguf.h).
enum gguf_type : std::uint32_t {
    gguf_uint8 = 0,
    gguf_int8 = 1,
    gguf_uint16 = 2,
    gguf_int16 = 3,
    gguf_uint32 = 4,
    gguf_int32 = 5,
    gguf_float32 = 6,
    gguf_bool = 7,
    gguf_string = 8,
    gguf_array = 9,
    gguf_uint64 = 10,
    gguf_int64 = 11,
    gguf_float64 = 12,
};

// Byte size of a fixed-size type, 0 for string and array, nullopt for an unknown type.
std::optional<std::uint64_t> fixed_size(std::uint32_t type) {
    switch (type) {
        case gguf_uint8:
        case gguf_int8:
        case gguf_bool:
            return 1;
        case gguf_uint16:
        case gguf_int16:
            return 2;
        case gguf_uint32:
        case gguf_int32:
        case gguf_float32:
            return 4;
        case gguf_uint64:
        case gguf_int64:
        case gguf_float64:
            return 8;
        case gguf_string:
        case gguf_array:
            return 0;
        default:
            return std::nullopt;
    }
}

result<void> skip_value(bounded_reader& in, std::uint32_t type, int depth);

result<void> skip_array(bounded_reader& in, int depth) {
    if (depth > max_array_depth) return model_facts_errc::malformed;
    auto element = in.read_le<std::uint32_t>();
    if (!element) return element.error();
    auto count = in.read_le<std::uint64_t>();
    if (!count) return count.error();
    auto size = fixed_size(*element);
    if (!size) return model_facts_errc::malformed;
    if (*size > 0) {
        if (*count > in.remaining() / *size) return model_facts_errc::truncated;
        return in.skip(*count * *size);
    }
    // Strings take at least their 8-byte length, arrays their 12-byte type and count.
    std::uint64_t least = *element == gguf_string ? 8 : 12;
    if (*count > in.remaining() / least) return model_facts_errc::truncated;
    for (std::uint64_t i = 0; i < *count; ++i) {
        if (auto r = skip_value(in, *element, depth + 1); !r) return r;
    }
    return {};
}

result<void> skip_value(bounded_reader& in, std::uint32_t type, int depth) {
    if (type == gguf_string) {
        auto length = in.read_le<std::uint64_t>();
        if (!length) return length.error();
        return in.skip(*length);
    }
    if (type == gguf_array) return skip_array(in, depth);
    auto size = fixed_size(type);
    if (!size) return model_facts_errc::malformed;
    return in.skip(*size);
}

// A numeric metadata value as a count; nullopt for negative or non-finite numbers.
result<std::optional<std::uint64_t>> read_count_value(bounded_reader& in, std::uint32_t type) {
    auto as_count = [](auto value) -> std::optional<std::uint64_t> {
        using T = decltype(value);
        if constexpr (std::is_floating_point_v<T>) {
            if (!std::isfinite(value) || value < 0 || value >= 1.8e19) return std::nullopt;
            return static_cast<std::uint64_t>(std::llround(value));
        } else {
            if (value < 0) return std::nullopt;
            return static_cast<std::uint64_t>(value);
        }
    };
    auto bits = [&](auto tag) -> result<std::optional<std::uint64_t>> {
        using T = decltype(tag);
        using U = std::make_unsigned_t<T>;
        auto raw = in.read_le<U>();
        if (!raw) return raw.error();
        return as_count(static_cast<T>(*raw));
    };
    switch (type) {
        case gguf_uint8:
            return bits(std::uint8_t{});
        case gguf_int8:
            return bits(std::int8_t{});
        case gguf_uint16:
            return bits(std::uint16_t{});
        case gguf_int16:
            return bits(std::int16_t{});
        case gguf_uint32:
            return bits(std::uint32_t{});
        case gguf_int32:
            return bits(std::int32_t{});
        case gguf_uint64:
            return bits(std::uint64_t{});
        case gguf_int64:
            return bits(std::int64_t{});
        case gguf_float32: {
            auto raw = in.read_le<std::uint32_t>();
            if (!raw) return raw.error();
            float value;
            std::memcpy(&value, &*raw, sizeof value);
            return as_count(value);
        }
        case gguf_float64: {
            auto raw = in.read_le<std::uint64_t>();
            if (!raw) return raw.error();
            double value;
            std::memcpy(&value, &*raw, sizeof value);
            return as_count(value);
        }
        default:
            if (auto r = skip_value(in, type, 0); !r) return r.error();
            return std::optional<std::uint64_t>{};
    }
}

// A string metadata value kept when short enough; longer ones (and other types) are skipped.
result<std::optional<std::string>> read_string_value(bounded_reader& in, std::uint32_t type) {
    if (type != gguf_string) {
        if (auto r = skip_value(in, type, 0); !r) return r.error();
        return std::optional<std::string>{};
    }
    auto length = in.read_le<std::uint64_t>();
    if (!length) return length.error();
    if (*length > max_kept_string) {
        if (auto r = in.skip(*length); !r) return r.error();
        return std::optional<std::string>{};
    }
    auto text = in.read_string(*length);
    if (!text) return text.error();
    return std::optional<std::string>(std::move(*text));
}

bool checked_multiply(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
    return !__builtin_mul_overflow(a, b, &out);
}

bool checked_add(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
    return !__builtin_add_overflow(a, b, &out);
}

// Opens a file for header reading: not_found or unreadable on failure.
result<std::uint64_t> open_file(const std::filesystem::path& path, std::ifstream& in) {
    std::error_code ec;
    auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status)) return model_facts_errc::not_found;
    if (!std::filesystem::is_regular_file(status)) return model_facts_errc::unreadable;
    auto size = std::filesystem::file_size(path, ec);
    if (ec) return model_facts_errc::unreadable;
    in.open(path, std::ios::binary);
    if (!in) return model_facts_errc::unreadable;
    return static_cast<std::uint64_t>(size);
}

result<model_facts> read_safetensors_file(const std::filesystem::path& path) {
    std::ifstream in;
    auto size = open_file(path, in);
    if (!size) return size.error();
    return read_safetensors_facts(in, *size);
}

result<model_facts> read_gguf_file(const std::filesystem::path& path) {
    std::ifstream in;
    auto size = open_file(path, in);
    if (!size) return size.error();
    return read_gguf_facts(in, *size);
}

bool is_plain_file_name(const std::string& name) {
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
           name.find('\0') == std::string::npos;
}

result<model_facts> read_sharded_safetensors(
    const std::filesystem::path& dir, const std::filesystem::path& index_path
) {
    std::ifstream in;
    auto size = open_file(index_path, in);
    if (!size) return size.error();
    if (*size > max_index_file) return model_facts_errc::malformed;
    std::ostringstream text;
    text << in.rdbuf();
    auto index = nlohmann::json::parse(text.str(), nullptr, false);
    if (index.is_discarded() || !index.is_object()) return model_facts_errc::malformed;
    auto map = index.find("weight_map");
    if (map == index.end() || !map->is_object()) return model_facts_errc::malformed;
    std::set<std::string> shards;
    for (const auto& [tensor, shard] : map->items()) {
        if (!shard.is_string()) return model_facts_errc::malformed;
        auto name = shard.get<std::string>();
        // The index names files beside it; anything else would read outside the model.
        if (!is_plain_file_name(name)) return model_facts_errc::malformed;
        shards.insert(name);
    }
    if (shards.empty()) return model_facts_errc::no_weights;
    model_facts total;
    total.format = model_format::safetensors;
    for (const auto& shard : shards) {
        auto facts = read_safetensors_file(dir / shard);
        if (!facts) return facts.error();
        if (!checked_add(total.parameter_count, facts->parameter_count, total.parameter_count)) {
            return model_facts_errc::malformed;
        }
        total.tensor_count += facts->tensor_count;
    }
    return total;
}

result<model_facts> read_model_directory(const std::filesystem::path& dir) {
    std::error_code ec;
    auto index = dir / "model.safetensors.index.json";
    if (std::filesystem::exists(index, ec)) return read_sharded_safetensors(dir, index);
    auto single = dir / "model.safetensors";
    if (std::filesystem::exists(single, ec)) return read_safetensors_file(single);
    std::optional<std::filesystem::path> gguf;
    for (const auto& item : std::filesystem::directory_iterator(dir, ec)) {
        if (item.path().extension() != ".gguf") continue;
        if (gguf) return model_facts_errc::no_weights;  // which one would be meant?
        gguf = item.path();
    }
    if (ec) return model_facts_errc::unreadable;
    if (gguf) return read_gguf_file(*gguf);
    return model_facts_errc::no_weights;
}

}  // namespace

const boost::system::error_category& model_facts_category() {
    static const model_facts_category_impl category;
    return category;
}

boost::system::error_code make_error_code(model_facts_errc e) {
    return {static_cast<int>(e), model_facts_category()};
}

result<model_facts> read_gguf_facts(std::istream& stream, std::uint64_t size) {
    bounded_reader in(stream, size);
    std::array<char, 4> magic{};
    if (size < magic.size()) return model_facts_errc::unknown_format;
    if (auto r = in.read(magic.data(), magic.size()); !r) return r.error();
    if (std::string_view(magic.data(), magic.size()) != "GGUF") {
        return model_facts_errc::unknown_format;
    }
    auto version = in.read_le<std::uint32_t>();
    if (!version) return version.error();
    // Version 1 used 32-bit counts and lengths; nothing current writes it.
    if (*version != 2 && *version != 3) return model_facts_errc::unsupported_version;
    auto tensor_count = in.read_le<std::uint64_t>();
    if (!tensor_count) return tensor_count.error();
    auto kv_count = in.read_le<std::uint64_t>();
    if (!kv_count) return kv_count.error();

    model_facts facts;
    facts.format = model_format::gguf;
    facts.tensor_count = *tensor_count;
    std::optional<std::uint64_t> metadata_count;
    // A key-value pair takes at least its key length (8) and type (4) and one value byte.
    if (*kv_count > in.remaining() / 13) return model_facts_errc::truncated;
    for (std::uint64_t i = 0; i < *kv_count; ++i) {
        auto key_length = in.read_le<std::uint64_t>();
        if (!key_length) return key_length.error();
        if (*key_length > in.remaining()) return model_facts_errc::truncated;
        if (*key_length > max_gguf_key) return model_facts_errc::malformed;
        auto key = in.read_string(*key_length);
        if (!key) return key.error();
        auto type = in.read_le<std::uint32_t>();
        if (!type) return type.error();
        if (*key == "general.parameter_count") {
            auto count = read_count_value(in, *type);
            if (!count) return count.error();
            metadata_count = *count;
        } else if (*key == "general.architecture" || *key == "general.name") {
            auto text = read_string_value(in, *type);
            if (!text) return text.error();
            (*key == "general.name" ? facts.name : facts.architecture) = std::move(*text);
        } else if (auto r = skip_value(in, *type, 0); !r) {
            return r.error();
        }
    }

    // A tensor info takes at least its name length (8), n_dims (4), type (4) and offset (8).
    if (*tensor_count > in.remaining() / 24) return model_facts_errc::truncated;
    std::uint64_t total = 0;
    for (std::uint64_t i = 0; i < *tensor_count; ++i) {
        auto name_length = in.read_le<std::uint64_t>();
        if (!name_length) return name_length.error();
        if (auto r = in.skip(*name_length); !r) return r.error();
        auto dims = in.read_le<std::uint32_t>();
        if (!dims) return dims.error();
        if (*dims > max_tensor_dims) return model_facts_errc::malformed;
        std::uint64_t elements = 1;
        for (std::uint32_t d = 0; d < *dims; ++d) {
            auto dim = in.read_le<std::uint64_t>();
            if (!dim) return dim.error();
            if (!checked_multiply(elements, *dim, elements)) return model_facts_errc::malformed;
        }
        // The ggml type and the data offset matter only to a loader.
        if (auto r = in.skip(4 + 8); !r) return r.error();
        if (!checked_add(total, elements, total)) return model_facts_errc::malformed;
    }
    if (metadata_count && *metadata_count > 0) {
        facts.parameter_count = *metadata_count;
        facts.count_from_metadata = true;
    } else {
        facts.parameter_count = total;
    }
    return facts;
}

result<model_facts> read_safetensors_facts(std::istream& stream, std::uint64_t size) {
    bounded_reader in(stream, size);
    if (size < 8) return model_facts_errc::unknown_format;
    auto length = in.read_le<std::uint64_t>();
    if (!length) return length.error();
    if (*length > max_safetensors_header) return model_facts_errc::malformed;
    if (*length > in.remaining()) return model_facts_errc::truncated;
    auto header = in.read_string(*length);
    if (!header) return header.error();
    auto doc = nlohmann::json::parse(*header, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return model_facts_errc::malformed;
    model_facts facts;
    facts.format = model_format::safetensors;
    for (const auto& [name, tensor] : doc.items()) {
        if (name == "__metadata__") continue;
        if (!tensor.is_object()) return model_facts_errc::malformed;
        auto shape = tensor.find("shape");
        if (shape == tensor.end() || !shape->is_array()) return model_facts_errc::malformed;
        std::uint64_t elements = 1;
        for (const auto& dim : *shape) {
            if (!dim.is_number_unsigned()) return model_facts_errc::malformed;
            if (!checked_multiply(elements, dim.get<std::uint64_t>(), elements)) {
                return model_facts_errc::malformed;
            }
        }
        if (!checked_add(facts.parameter_count, elements, facts.parameter_count)) {
            return model_facts_errc::malformed;
        }
        ++facts.tensor_count;
    }
    return facts;
}

result<model_facts> read_model_facts(const std::filesystem::path& path) {
    std::error_code ec;
    auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status)) return model_facts_errc::not_found;
    if (std::filesystem::is_directory(status)) return read_model_directory(path);
    std::ifstream in;
    auto size = open_file(path, in);
    if (!size) return size.error();
    std::array<char, 4> magic{};
    in.read(magic.data(), magic.size());
    bool is_gguf = in.gcount() == 4 && std::string_view(magic.data(), 4) == "GGUF";
    in.clear();
    in.seekg(0);
    if (is_gguf) return read_gguf_facts(in, *size);
    auto facts = read_safetensors_facts(in, *size);
    // A file that is neither should say so, not that its "safetensors header" is broken.
    if (!facts && path.extension() != ".safetensors") return model_facts_errc::unknown_format;
    return facts;
}

std::optional<std::filesystem::path> resolve_hf_model_dir(
    std::string_view model_id, const std::filesystem::path& hub_cache
) {
    std::error_code ec;
    std::filesystem::path direct(model_id);
    if (!model_id.empty() && std::filesystem::is_directory(direct, ec)) return direct;
    // "org/name" or "name"; anything else cannot be a hub id and must not walk the cache.
    auto slash = model_id.find('/');
    if (model_id.empty() || model_id.find("..") != std::string_view::npos ||
        model_id.front() == '/' ||
        (slash != std::string_view::npos && model_id.find('/', slash + 1) != std::string_view::npos
        )) {
        return std::nullopt;
    }
    std::string folder = "models--";
    for (char c : model_id) {
        if (c == '/') {
            folder += "--";
        } else {
            folder += c;
        }
    }
    auto repo = hub_cache / folder;
    std::ifstream ref(repo / "refs" / "main");
    std::string commit;
    if (ref && std::getline(ref, commit)) {
        while (!commit.empty() && (commit.back() == '\r' || commit.back() == ' '))
            commit.pop_back();
        if (is_plain_file_name(commit)) {
            auto snapshot = repo / "snapshots" / commit;
            if (std::filesystem::is_directory(snapshot, ec)) return snapshot;
        }
    }
    // No refs/main (a download by revision): take the only snapshot there is.
    std::optional<std::filesystem::path> only;
    for (const auto& item : std::filesystem::directory_iterator(repo / "snapshots", ec)) {
        if (!item.is_directory(ec)) continue;
        if (only) return std::nullopt;
        only = item.path();
    }
    return only;
}

std::string format_parameter_count(std::uint64_t count) {
    static constexpr std::array<std::pair<double, const char*>, 4> units{{
        {1e12, "T"},
        {1e9, "B"},
        {1e6, "M"},
        {1e3, "K"},
    }};
    auto value = static_cast<double>(count);
    for (std::size_t i = 0; i < units.size(); ++i) {
        auto [unit, suffix] = units[i];
        if (value < unit) continue;
        double scaled = value / unit;
        char text[32];
        if (scaled < 9.95) {
            std::snprintf(text, sizeof text, "%.1f", scaled);
            std::string out = text;
            if (out.ends_with(".0")) out.resize(out.size() - 2);
            return out + suffix;
        }
        double rounded = std::round(scaled);
        // 999.6K reads better as 1M.
        if (rounded >= 1000 && i > 0)
            return format_parameter_count(static_cast<std::uint64_t>(units[i - 1].first));
        std::snprintf(text, sizeof text, "%.0f", rounded);
        return std::string(text) + suffix;
    }
    return std::to_string(count);
}

}  // namespace solar::host
