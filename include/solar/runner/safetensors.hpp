// safetensors weights, memory-mapped: one file or a sharded set named by
// model.safetensors.index.json, exposed as name -> {dtype, shape, bytes}.
#pragma once

#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace solar::runner {

// The element types of the safetensors format that models store (floats for weights, integers
// for buffers such as position_ids).
enum class tensor_dtype { f64, f32, f16, bf16, i64, i32, i16, i8, u8, boolean };

// The format's name for the type: "F32", "BF16", ...
std::string_view dtype_name(tensor_dtype dtype);

// Bytes per element.
std::size_t dtype_size(tensor_dtype dtype);

// One tensor inside a mapped file: the bytes stay valid while the file that holds them lives.
struct tensor_view {
    tensor_dtype dtype = tensor_dtype::f32;
    std::vector<std::int64_t> shape;
    std::span<const std::byte> bytes;

    std::int64_t element_count() const;
};

// A read-only private mapping of a whole file; unmapped on destruction.
class mapped_file {
public:
    // Maps `path`; fails with a message naming the file when it cannot be opened or mapped.
    static boost::system::result<std::unique_ptr<mapped_file>, std::string> open(
        const std::filesystem::path& path
    );

    mapped_file(const mapped_file&) = delete;
    mapped_file& operator=(const mapped_file&) = delete;
    ~mapped_file();

    std::span<const std::byte> bytes() const { return {data_, size_}; }

private:
    mapped_file(const std::byte* data, std::size_t size) : data_(data), size_(size) {}

    const std::byte* data_;
    std::size_t size_;
};

// The tensors of one safetensors buffer, checked against the format: an 8-byte little-endian
// header length, a JSON header of {name: {dtype, shape, data_offsets}} (plus "__metadata__"),
// then the data, every tensor's byte range inside it and as long as its shape and dtype say.
// Fails with a message naming `source` and the problem.
boost::system::result<std::map<std::string, tensor_view, std::less<>>, std::string>
parse_safetensors(std::span<const std::byte> file, std::string_view source);

// The weights of a model directory: model.safetensors, or the shards that
// model.safetensors.index.json names. Immutable once opened, so safe to share between threads.
class safetensors_weights {
public:
    // Opens model.safetensors in `model_dir`, else the sharded set of its index. Fails with a
    // message naming the file and the problem: neither present, a malformed header, a tensor out
    // of bounds, an index naming a missing tensor or a file outside the directory.
    static boost::system::result<safetensors_weights, std::string> open_directory(
        const std::filesystem::path& model_dir
    );

    // Opens a single safetensors file.
    static boost::system::result<safetensors_weights, std::string> open_file(
        const std::filesystem::path& file
    );

    // The tensor called `name`, or nullptr.
    const tensor_view* find(std::string_view name) const;

    const std::map<std::string, tensor_view, std::less<>>& tensors() const { return tensors_; }

    // How many files back the tensors (1, or the number of shards).
    std::size_t file_count() const { return files_.size(); }

private:
    std::vector<std::shared_ptr<const mapped_file>> files_;
    std::map<std::string, tensor_view, std::less<>> tensors_;
};

}  // namespace solar::runner
