// safetensors: header validation, mmap of each file, sharded sets through the index.
#include <solar/runner/safetensors.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace solar::runner {

namespace {

// The format caps the header at 100 MB; anything larger is a corrupt or hostile file.
constexpr std::uint64_t max_header_bytes = 100'000'000;

struct dtype_info {
    tensor_dtype dtype;
    std::string_view name;
    std::size_t size;
};

constexpr std::array<dtype_info, 10> dtype_table{{
    {tensor_dtype::f64, "F64", 8},
    {tensor_dtype::f32, "F32", 4},
    {tensor_dtype::f16, "F16", 2},
    {tensor_dtype::bf16, "BF16", 2},
    {tensor_dtype::i64, "I64", 8},
    {tensor_dtype::i32, "I32", 4},
    {tensor_dtype::i16, "I16", 2},
    {tensor_dtype::i8, "I8", 1},
    {tensor_dtype::u8, "U8", 1},
    {tensor_dtype::boolean, "BOOL", 1},
}};

const dtype_info* find_dtype(std::string_view name) {
    for (const auto& info : dtype_table) {
        if (info.name == name) return &info;
    }
    return nullptr;
}

using tensor_map = std::map<std::string, tensor_view, std::less<>>;
using parse_result = boost::system::result<tensor_map, std::string>;

boost::system::result<tensor_view, std::string> parse_entry(
    const std::string& name, const nlohmann::json& entry, std::span<const std::byte> data
) {
    auto fail = [&](const std::string& what) {
        return boost::system::result<tensor_view, std::string>(
            boost::system::in_place_error, "tensor " + name + ": " + what
        );
    };
    if (!entry.is_object()) return fail("header entry is not an object");
    auto dtype = entry.find("dtype");
    if (dtype == entry.end() || !dtype->is_string()) return fail("no dtype");
    const dtype_info* info = find_dtype(dtype->get_ref<const std::string&>());
    if (!info) return fail("unsupported dtype " + dtype->get<std::string>());
    auto shape = entry.find("shape");
    if (shape == entry.end() || !shape->is_array()) return fail("no shape");
    auto offsets = entry.find("data_offsets");
    if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 ||
        !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned()) {
        return fail("data_offsets is not a pair of unsigned integers");
    }

    tensor_view view;
    view.dtype = info->dtype;
    // Computed in unsigned 64-bit with overflow checks: the sizes come from an untrusted file.
    std::uint64_t elements = 1;
    for (const auto& dim : *shape) {
        if (!dim.is_number_unsigned()) return fail("shape holds a value that is not a size");
        auto extent = dim.get<std::uint64_t>();
        if (extent > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return fail("shape is too large");
        }
        if (extent != 0 && elements > std::numeric_limits<std::uint64_t>::max() / extent) {
            return fail("shape is too large");
        }
        elements *= extent;
        view.shape.push_back(static_cast<std::int64_t>(extent));
    }
    auto begin = (*offsets)[0].get<std::uint64_t>();
    auto end = (*offsets)[1].get<std::uint64_t>();
    if (begin > end || end > data.size()) {
        return fail(
            "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
            "] lie outside the " + std::to_string(data.size()) + "-byte data section"
        );
    }
    if (elements > std::numeric_limits<std::uint64_t>::max() / info->size ||
        elements * info->size != end - begin) {
        return fail(
            "holds " + std::to_string(end - begin) + " bytes, but its shape and dtype need " +
            std::to_string(elements) + " elements of " + std::to_string(info->size) + " bytes"
        );
    }
    view.bytes = data.subspan(begin, end - begin);
    return view;
}

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// A shard's file name from the index must stay inside the model directory.
bool is_plain_file_name(const std::string& name) {
    return !name.empty() && name.find('/') == std::string::npos && name != "." && name != "..";
}

}  // namespace

std::string_view dtype_name(tensor_dtype dtype) {
    for (const auto& info : dtype_table) {
        if (info.dtype == dtype) return info.name;
    }
    return "?";
}

std::size_t dtype_size(tensor_dtype dtype) {
    for (const auto& info : dtype_table) {
        if (info.dtype == dtype) return info.size;
    }
    return 0;
}

std::int64_t tensor_view::element_count() const {
    std::int64_t count = 1;
    for (auto extent : shape) count *= extent;
    return count;
}

boost::system::result<std::unique_ptr<mapped_file>, std::string> mapped_file::open(
    const std::filesystem::path& path
) {
    using result_type = boost::system::result<std::unique_ptr<mapped_file>, std::string>;
    auto fail = [&](const std::string& what) {
        return result_type(
            boost::system::in_place_error, what + " " + path.string() + ": " + std::strerror(errno)
        );
    };
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail("cannot open");
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        auto failure = fail("cannot stat");
        ::close(fd);
        return failure;
    }
    auto size = static_cast<std::size_t>(info.st_size);
    if (size == 0) {
        ::close(fd);
        return std::unique_ptr<mapped_file>(new mapped_file(nullptr, 0));
    }
    void* data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) {
        auto failure = fail("cannot map");
        ::close(fd);
        return failure;
    }
    // The mapping keeps its own reference to the file.
    ::close(fd);
    return std::unique_ptr<mapped_file>(new mapped_file(static_cast<const std::byte*>(data), size));
}

mapped_file::~mapped_file() {
    if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
}

parse_result parse_safetensors(std::span<const std::byte> file, std::string_view source) {
    auto fail = [&](const std::string& what) {
        return parse_result(boost::system::in_place_error, std::string(source) + ": " + what);
    };
    if (file.size() < 8) return fail("too short for a safetensors header");
    std::uint64_t header_size = 0;
    for (int i = 7; i >= 0; --i) {
        header_size = (header_size << 8) | std::to_integer<std::uint64_t>(file[i]);
    }
    if (header_size > max_header_bytes || header_size > file.size() - 8) {
        return fail(
            "header length " + std::to_string(header_size) + " exceeds the file (" +
            std::to_string(file.size()) + " bytes) or the format's limit"
        );
    }
    const char* header_begin = reinterpret_cast<const char*>(file.data() + 8);
    auto header = nlohmann::json::parse(header_begin, header_begin + header_size, nullptr, false);
    if (header.is_discarded() || !header.is_object()) return fail("header is not a JSON object");

    auto data = file.subspan(8 + header_size);
    tensor_map tensors;
    for (const auto& [name, entry] : header.items()) {
        if (name == "__metadata__") continue;
        auto view = parse_entry(name, entry, data);
        if (!view) return fail(view.error());
        tensors.emplace(name, std::move(*view));
    }
    return tensors;
}

boost::system::result<safetensors_weights, std::string> safetensors_weights::open_file(
    const std::filesystem::path& file
) {
    auto mapped = mapped_file::open(file);
    if (!mapped) return mapped.error();
    auto tensors = parse_safetensors((*mapped)->bytes(), file.string());
    if (!tensors) return tensors.error();
    safetensors_weights weights;
    weights.files_.push_back(std::move(*mapped));
    weights.tensors_ = std::move(*tensors);
    return weights;
}

boost::system::result<safetensors_weights, std::string> safetensors_weights::open_directory(
    const std::filesystem::path& model_dir
) {
    auto single = model_dir / "model.safetensors";
    if (std::filesystem::exists(single)) return open_file(single);
    auto index_path = model_dir / "model.safetensors.index.json";
    if (!std::filesystem::exists(index_path)) {
        return "no model.safetensors or model.safetensors.index.json in " + model_dir.string() +
               " (only safetensors weights are supported, not pytorch_model.bin)";
    }

    auto index = nlohmann::json::parse(read_text(index_path), nullptr, false);
    auto weight_map = index.is_object() ? index.find("weight_map") : index.end();
    if (weight_map == index.end() || !weight_map->is_object()) {
        return index_path.string() + ": no weight_map object";
    }
    // Each shard is mapped once, whatever the number of tensors it holds.
    std::map<std::string, std::pair<std::shared_ptr<const mapped_file>, tensor_map>> shards;
    safetensors_weights weights;
    for (const auto& [name, file_value] : weight_map->items()) {
        if (!file_value.is_string() || !is_plain_file_name(file_value.get<std::string>())) {
            return index_path.string() + ": tensor " + name +
                   " names a shard that is not a file in the model directory";
        }
        const auto& file_name = file_value.get_ref<const std::string&>();
        auto shard = shards.find(file_name);
        if (shard == shards.end()) {
            auto path = model_dir / file_name;
            auto mapped = mapped_file::open(path);
            if (!mapped) return mapped.error();
            auto tensors = parse_safetensors((*mapped)->bytes(), path.string());
            if (!tensors) return tensors.error();
            std::shared_ptr<const mapped_file> owner = std::move(*mapped);
            weights.files_.push_back(owner);
            shard = shards.emplace(file_name, std::pair{owner, std::move(*tensors)}).first;
        }
        auto tensor = shard->second.second.find(name);
        if (tensor == shard->second.second.end()) {
            return index_path.string() + ": tensor " + name + " is not in " + file_name;
        }
        weights.tensors_.emplace(name, tensor->second);
    }
    return weights;
}

const tensor_view* safetensors_weights::find(std::string_view name) const {
    auto it = tensors_.find(name);
    return it == tensors_.end() ? nullptr : &it->second;
}

}  // namespace solar::runner
